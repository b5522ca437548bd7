import { Construct } from 'constructs';
import { invalid } from '../core/errors';
import { HelmComponent } from './helm-component';
import { IstioBase } from './istio-base';
import {
  ChartResources,
  checkChartResources,
  checkIstioProfile,
  ISTIO_SYSTEM_NAMESPACE,
  IstioPlatformValue,
  IstioProfile,
  istioChart,
  istioPlatform,
} from './istio-release';

/**
 * The values of Istio's `cni` chart that the platform sets. The chart reads no `global.istioNamespace`
 * (the node agent finds istiod by itself), so none is given.
 */
export interface IstioCniValues {
  /** Settings shared by every Istio chart. */
  readonly global?: {
    /** `openshift` merges the chart's OpenShift overlay (Multus CNI paths, `spc_t` SELinux type) and adds its ClusterRole's SCC rule. */
    readonly platform?: IstioPlatformValue;
  };
  /** Requests and limits of the node agent (one pod per node). */
  readonly resources?: ChartResources;
}

/** Properties of an {@link IstioCni}. */
export interface IstioCniProps {
  /** The `base` release; the node agent is installed after it. */
  readonly base: IstioBase;
  /**
   * The kind of cluster: `openshift` renders `global.platform: openshift`.
   * @default IstioProfile.DEFAULT (plain Kubernetes: no platform overlay)
   */
  readonly profile?: IstioProfile;
  /**
   * Namespace of the CNI node agent (a DaemonSet).
   * @default 'istio-system'
   */
  readonly namespace?: string;
  /**
   * Requests and limits of the node agent, on every node.
   * @default - the chart's: 100m CPU and 100Mi requested, no limits
   */
  readonly resources?: ChartResources;
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
    const platform = istioPlatform(props.profile);
    const values: IstioCniValues = { global: platform ? { platform } : undefined, resources: props.resources };
    super(scope, id, istioChart('cni', { namespace, releaseName: 'istio-cni', dependsOn: [props.base], values }));
    this.typedValues = values;
    const fail = (message: string): never => invalid('IstioCni', this, message);
    checkIstioProfile(props.profile, fail);
    if (props.resources) checkChartResources('resources', props.resources, fail);
  }
}
