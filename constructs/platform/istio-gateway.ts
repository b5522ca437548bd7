import { Construct } from 'constructs';
import { invalid } from '../core/errors';
import { serviceHost } from '../core/hosts';
import { Variant } from '../core/variant';
import { HelmComponent } from './helm-component';
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
import { checkAutoscaling, ComponentAutoscaling, Istiod } from './istiod';

/** How an {@link IstioGateway}'s Service is exposed (the Kubernetes Service `type`). */
export class GatewayServiceType extends Variant<'LoadBalancer' | 'NodePort' | 'ClusterIP'> {
  /** An external load balancer of the cloud provider: the usual ingress. */
  static readonly LOAD_BALANCER = new GatewayServiceType('LoadBalancer');
  /** A port on every node: clusters without a load balancer (kind, bare metal). */
  static readonly NODE_PORT = new GatewayServiceType('NodePort');
  /** Reachable inside the cluster only: the egress gateway, or an ingress behind another load balancer. */
  static readonly CLUSTER_IP = new GatewayServiceType('ClusterIP');

  /** Every Service type a gateway can have. */
  static readonly ALL: readonly GatewayServiceType[] = [
    GatewayServiceType.LOAD_BALANCER,
    GatewayServiceType.NODE_PORT,
    GatewayServiceType.CLUSTER_IP,
  ];

  /** @param name - The Service type's name in Kubernetes, e.g. `LoadBalancer`. */
  private constructor(name: GatewayServiceType['name']) {
    super(name);
  }
}

/** Which way a gateway deployment carries traffic. */
export class GatewayDirection extends Variant<'ingress' | 'egress'> {
  /** Into the mesh: `istio-ingressgateway`, pod label `istio: ingressgateway`. */
  static readonly INGRESS = new GatewayDirection('ingress');
  /** Out of the mesh: `istio-egressgateway`, pod label `istio: egressgateway`. */
  static readonly EGRESS = new GatewayDirection('egress');

  /** Every direction. */
  static readonly ALL: readonly GatewayDirection[] = [GatewayDirection.INGRESS, GatewayDirection.EGRESS];

  /** @param name - The direction's name, the prefix of the gateway's release name and label: `ingress` or `egress`. */
  private constructor(name: GatewayDirection['name']) {
    super(name);
  }
}

/** The values of Istio's `gateway` chart that the platform sets. */
export interface IstioGatewayValues {
  /** The platform overlay (`openshift`), a top-level key of the chart's values schema. */
  readonly platform?: IstioPlatformValue;
  /** Name of the Deployment and Service. */
  readonly name?: string;
  /** Pod labels: Istio `Gateway` resources select the deployment by them. */
  readonly labels?: Record<string, string>;
  /** Replicas when not autoscaled. */
  readonly replicaCount?: number;
  /** The chart's HorizontalPodAutoscaler. */
  readonly autoscaling?: {
    readonly enabled: boolean;
    readonly minReplicas?: number;
    readonly maxReplicas?: number;
    readonly targetCPUUtilizationPercentage?: number;
  };
  /** The chart's PodDisruptionBudget (empty: none). */
  readonly podDisruptionBudget?: { readonly minAvailable?: number };
  /** The gateway Service. */
  readonly service?: { readonly type: 'LoadBalancer' | 'ClusterIP' | 'NodePort' };
  /** Requests and limits. */
  readonly resources?: ChartResources;
}

/** Properties of an {@link IstioGateway}. */
export interface IstioGatewayProps {
  /** The control plane that injects the gateway's proxy; the gateway is installed after it. */
  readonly istiod: Istiod;
  /** Ingress (`istio-ingressgateway`, label `istio: ingressgateway`) or egress (`istio-egressgateway`, label `istio: egressgateway`). */
  readonly direction: GatewayDirection;
  /**
   * The kind of cluster: `openshift` renders `platform: openshift`.
   * @default IstioProfile.DEFAULT (plain Kubernetes: no platform overlay)
   */
  readonly profile?: IstioProfile;
  /**
   * Namespace of the gateway deployment. TLS secrets named by a `Gateway`'s `credentialName` must live here.
   * @default 'istio-system' (scenario S2's `public-gateway` and S7's certificate are there too)
   */
  readonly namespace?: string;
  /**
   * Replicas when not autoscaled.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Horizontal autoscaling (replaces `replicas`).
   * @default - no autoscaler
   */
  readonly autoscaling?: ComponentAutoscaling;
  /**
   * A PodDisruptionBudget (minAvailable 1). Needs at least 2 replicas.
   * @default - true when the gateway runs at least 2 replicas
   */
  readonly podDisruptionBudget?: boolean;
  /**
   * How the gateway's Service is exposed.
   * @default - GatewayServiceType.LOAD_BALANCER for ingress, GatewayServiceType.CLUSTER_IP for egress
   */
  readonly serviceType?: GatewayServiceType;
  /**
   * Requests and limits of the gateway proxy (the chart's `resources`; give CPU and memory of what you set, since
   * Helm merges them over the chart's).
   * @default - the chart's: 100m CPU and 128Mi requested, limits 2 CPU and 1Gi
   */
  readonly resources?: ChartResources;
}

/** An Istio gateway deployment (the `gateway` chart): Envoy at the edge of the mesh, for ingress or egress. */
export class IstioGateway extends HelmComponent {
  /** Ingress or egress. */
  readonly direction: GatewayDirection;
  /** The pod labels `Gateway` resources select (`istio: ingressgateway`). */
  readonly selector: Readonly<Record<string, string>>;
  /** The gateway Service's cluster host name. */
  readonly serviceHost: string;
  /** The values given to the chart. */
  readonly typedValues: IstioGatewayValues;

  constructor(scope: Construct, id: string, props: IstioGatewayProps) {
    const namespace = props.namespace ?? ISTIO_SYSTEM_NAMESPACE;
    const name = `istio-${props.direction.name}gateway`;
    const values = IstioGateway.valuesOf(props, name);
    super(scope, id, istioChart('gateway', { namespace, releaseName: name, dependsOn: [props.istiod], values }));
    this.typedValues = values;
    this.direction = props.direction;
    this.selector = { istio: `${props.direction.name}gateway` };
    this.serviceHost = serviceHost(name, namespace);
    const fail = (message: string): never => invalid('IstioGateway', this, message);
    checkIstioProfile(props.profile, fail);
    if (!GatewayDirection.ALL.includes(props.direction))
      fail(`direction '${String(props.direction)}' is not allowed; use GatewayDirection.INGRESS or GatewayDirection.EGRESS`);
    const replicas = props.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 1) fail(`replicas ${replicas} is not a positive integer; use 1 or more, such as 2`);
    if (props.autoscaling) checkAutoscaling(props.autoscaling, fail);
    const minReplicas = props.autoscaling?.minReplicas ?? replicas;
    if (props.podDisruptionBudget && minReplicas < 2) {
      fail(
        `a PodDisruptionBudget with ${minReplicas} replica would block every node drain; run at least 2 replicas or set podDisruptionBudget: false`,
      );
    }
    if (props.resources) checkChartResources('resources', props.resources, fail);
  }

  private static valuesOf(props: IstioGatewayProps, name: string): IstioGatewayValues {
    const a = props.autoscaling;
    const minReplicas = a?.minReplicas ?? props.replicas ?? 1;
    return {
      platform: istioPlatform(props.profile),
      name,
      labels: { istio: `${props.direction.name}gateway`, app: name },
      replicaCount: a ? undefined : (props.replicas ?? 1),
      autoscaling: a
        ? { enabled: true, minReplicas: a.minReplicas, maxReplicas: a.maxReplicas, targetCPUUtilizationPercentage: a.cpuUtilization ?? 80 }
        : { enabled: false },
      podDisruptionBudget: (props.podDisruptionBudget ?? minReplicas >= 2) ? { minAvailable: 1 } : undefined,
      service: {
        type: (
          props.serviceType ??
          (props.direction === GatewayDirection.INGRESS ? GatewayServiceType.LOAD_BALANCER : GatewayServiceType.CLUSTER_IP)
        ).name,
      },
      resources: props.resources,
    };
  }
}
