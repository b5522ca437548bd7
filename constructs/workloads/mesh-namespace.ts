import { ApiObject, JsonPatch, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { DNS_LABEL, invalid } from '../core/errors';
import { PodSecurityLevel, meshedPodSecurity, podSecurityLabels } from '../core/namespaces';
import { Istiod } from '../platform/istiod';

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
  /**
   * The Pod Security Standard the namespace enforces (Pod Security admission labels; `warn` and `audit` are
   * `restricted` whatever is enforced).
   * @default - from the Istio data plane of the construct tree, found at synthesis (an `Istiod`): with sidecar
   * injection, `restricted` with the Istio CNI plugin and `privileged` without it (`meshedPodSecurity`: the
   * injected `istio-init` needs NET_ADMIN and NET_RAW); without injection `baseline`. No labels when the tree has
   * no `Istiod` (the cluster's Istio is installed elsewhere: set the level here).
   */
  readonly podSecurity?: PodSecurityLevel;
}

/** A namespace that is part of the mesh: the sidecar injection label set, so no pod is left outside. */
export class MeshNamespace extends Construct {
  /** The namespace name. */
  readonly name: string;
  /** Whether pods of this namespace get the sidecar unless they opt out. */
  readonly sidecarInjection: boolean;
  /** The generated Namespace object (escape hatch). */
  readonly apiObject: ApiObject;
  private readonly explicitPodSecurity?: PodSecurityLevel;

  constructor(scope: Construct, id: string, props: MeshNamespaceProps = {}) {
    super(scope, id);
    this.name = props.name ?? id;
    this.sidecarInjection = props.sidecarInjection ?? true;
    if (!DNS_LABEL.test(this.name)) {
      invalid('MeshNamespace', this, `name '${this.name}' is not a DNS-1123 label; use lowercase letters, digits and '-', such as 'demo'`);
    }
    // Resolved at synthesis: the data plane may be declared after the namespace.
    const podSecurity: Record<string, string> = {};
    for (const [key, value] of Object.entries(podSecurityLabels(PodSecurityLevel.RESTRICTED)))
      podSecurity[key] = Lazy.any({
        produce: () => {
          const level = this.levelOf(true);
          return level && (key === 'pod-security.kubernetes.io/enforce' ? level.name : value);
        },
      }) as unknown as string;
    this.explicitPodSecurity = props.podSecurity;
    const labels = { ...props.labels, 'istio-injection': this.sidecarInjection ? 'enabled' : 'disabled', ...podSecurity };
    const namespace = new kplus.Namespace(this, 'Resource', { metadata: { name: this.name, labels } });
    this.apiObject = ApiObject.of(namespace);
    // A Namespace is cluster-scoped: it must not inherit the namespace of the chart it is declared in.
    if (this.apiObject.metadata.namespace) this.apiObject.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  }

  /**
   * The Pod Security Standard the namespace enforces: the `podSecurity` prop, else what the tree's Istio data plane
   * admits (see {@link MeshNamespaceProps.podSecurity}); undefined when neither says.
   */
  get podSecurity(): PodSecurityLevel | undefined {
    return this.levelOf(false);
  }

  /** @param synthesis the tree is complete: its istiod (or its absence) is looked up once and remembered */
  private levelOf(synthesis: boolean): PodSecurityLevel | undefined {
    if (this.explicitPodSecurity) return this.explicitPodSecurity;
    const istiod = istiodOf(this, synthesis);
    if (!istiod) return undefined;
    return this.sidecarInjection ? meshedPodSecurity(istiod.cni) : PodSecurityLevel.BASELINE;
  }
}

const ISTIOD = new WeakMap<IConstruct, Istiod | null>();

/** The tree's istiod; at synthesis looked up once per tree (before, the tree may still grow: not remembered). */
function istiodOf(scope: IConstruct, synthesis: boolean): Istiod | undefined {
  const root = scope.node.root;
  let found = ISTIOD.get(root);
  if (found === undefined) {
    found = root.node.findAll().find((c): c is Istiod => c instanceof Istiod) ?? null;
    if (synthesis) ISTIOD.set(root, found);
  }
  return found ?? undefined;
}
