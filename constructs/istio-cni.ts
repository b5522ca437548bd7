import { Construct } from 'constructs';
import { HelmComponent } from './helm-component';
import { IstioBase } from './istio-base';
import { chartValues, ISTIO_REPOSITORY, ISTIO_SYSTEM_NAMESPACE, ISTIO_VERSION, IstioProfile } from './istio-release';

/** The values of Istio's `cni` chart that the platform sets. */
export interface IstioCniValues {
  /** Installation profile (`openshift` sets OpenShift's CNI paths and Multus integration). */
  readonly profile?: string;
  /** Settings shared by every Istio chart. */
  readonly global?: { readonly istioNamespace?: string };
}

/** Properties of an {@link IstioCni}. */
export interface IstioCniProps {
  /** The `base` release; the node agent is installed after it. */
  readonly base: IstioBase;
  /**
   * Installation profile.
   * @default 'default'
   */
  readonly profile?: IstioProfile;
  /**
   * Namespace of the CNI node agent (a DaemonSet).
   * @default 'istio-system'
   */
  readonly namespace?: string;
}

/**
 * The Istio CNI node agent (`cni` chart): sets up each pod's traffic redirection when the pod's network
 * is created, so application pods need no privileged `istio-init` container (NET_ADMIN, NET_RAW).
 * Give istiod `cni: true` along with it.
 */
export class IstioCni extends HelmComponent {
  /** The values given to the chart. */
  readonly typedValues: IstioCniValues;

  constructor(scope: Construct, id: string, props: IstioCniProps) {
    const namespace = props.namespace ?? ISTIO_SYSTEM_NAMESPACE;
    const values: IstioCniValues = { profile: props.profile === 'openshift' ? 'openshift' : undefined, global: { istioNamespace: ISTIO_SYSTEM_NAMESPACE } };
    super(scope, id, { repository: ISTIO_REPOSITORY, chart: 'cni', version: ISTIO_VERSION, namespace, releaseName: 'istio-cni', dependsOn: [props.base], values: chartValues(values) });
    this.typedValues = values;
  }
}
