import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { DNS_LABEL, invalid } from '../core/errors';

/** Properties of a {@link MeshNamespace}. */
export interface MeshNamespaceProps {
  /**
   * The namespace name.
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * Inject the Istio sidecar into every pod of the namespace (`istio-injection=enabled`). Workloads
   * can still opt out one by one (`MeshApp` `sidecarInjection: false`).
   * @default true
   */
  readonly sidecarInjection?: boolean;
  /**
   * Extra labels for the namespace.
   * @default - none
   */
  readonly labels?: Record<string, string>;
}

/** A namespace that is part of the mesh: the sidecar injection label set, so no pod is left outside. */
export class MeshNamespace extends Construct {
  /** The namespace name. */
  readonly name: string;
  /** Whether pods of this namespace get the sidecar unless they opt out. */
  readonly sidecarInjection: boolean;
  /** The generated Namespace object (escape hatch). */
  readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: MeshNamespaceProps = {}) {
    super(scope, id);
    this.name = props.name ?? id;
    this.sidecarInjection = props.sidecarInjection ?? true;
    if (!DNS_LABEL.test(this.name)) {
      invalid('MeshNamespace', this, `name '${this.name}' is not a DNS-1123 label; use lowercase letters, digits and '-', such as 'demo'`);
    }
    const labels = { ...props.labels, 'istio-injection': this.sidecarInjection ? 'enabled' : 'disabled' };
    const namespace = new kplus.Namespace(this, 'Resource', { metadata: { name: this.name, labels } });
    this.apiObject = ApiObject.of(namespace);
    // A Namespace is cluster-scoped: it must not inherit the namespace of the chart it is declared in.
    if (this.apiObject.metadata.namespace) this.apiObject.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  }
}
