import { Construct } from 'constructs';
import {
  ChartResources,
  IstioBase,
  IstioCni,
  GatewayDirection,
  GatewayServiceType,
  IstioGateway,
  Istiod,
  IstioProfile,
  MeshOutboundTrafficMode,
  ComponentAutoscaling,
  TracingProvider,
  invalid,
} from '../constructs';
import { Layer, LayerChart } from './layer';

/** Scaling of one Istio deployment, as the environment config gives it. */
export interface IstioDeploymentScaling {
  /** Replicas when not autoscaled. */
  readonly replicas: number;
  /** Horizontal autoscaling; replaces `replicas`. */
  readonly autoscaling?: ComponentAutoscaling;
  /** A PodDisruptionBudget (minAvailable 1). */
  readonly podDisruptionBudget: boolean;
  /**
   * Requests and limits of each pod.
   * @default - the chart's
   */
  readonly resources?: ChartResources;
}

/** Properties of an {@link IstioBaseChart}. */
export interface IstioBaseChartProps {
  /** Installation profile (`openshift` for scenario S8's OpenShift clusters). */
  readonly profile: IstioProfile;
  /** Install the Istio CNI node agent. */
  readonly cni: boolean;
}

/**
 * Layer INFRASTRUCTURE: Istio's `base` chart (CRDs, default validating webhook) and, optionally, the
 * CNI node agent, so that both exist before istiod and every Istio resource of later layers.
 */
export class IstioBaseChart extends LayerChart {
  /** The `base` release. */
  readonly base: IstioBase;
  /** The CNI release, when the CNI plugin is on. */
  readonly cni?: IstioCni;

  constructor(scope: Construct, id: string, props: IstioBaseChartProps) {
    super(scope, id, { layer: Layer.INFRASTRUCTURE });
    this.base = new IstioBase(this, 'istio-base', { profile: props.profile });
    if (props.cni) this.cni = new IstioCni(this, 'istio-cni', { base: this.base, profile: props.profile });
  }
}

/** Properties of an {@link IstioControlPlaneChart}. */
export interface IstioControlPlaneChartProps {
  /** The `base` release istiod is installed after. */
  readonly base: IstioBase;
  /** Installation profile. */
  readonly profile: IstioProfile;
  /** Redirection by the CNI plugin (the chart of the previous layer installs it). */
  readonly cni: boolean;
  /** What sidecars may reach outside the registry. */
  readonly outboundTrafficPolicy: MeshOutboundTrafficMode;
  /**
   * Proxies' access log file, such as `/dev/stdout`.
   * @default - no access log
   */
  readonly accessLogFile?: string;
  /**
   * The tracing backend, declared as meshConfig's extension provider and default tracer.
   * @default - no tracing provider
   */
  readonly tracing?: TracingProvider;
  /** istiod's scaling. */
  readonly istiod: IstioDeploymentScaling;
  /**
   * Requests and limits of every injected sidecar proxy.
   * @default - the istiod chart's (100m/128Mi requested, limits 2 CPU/1Gi)
   */
  readonly proxyResources?: ChartResources;
  /** The ingress gateway's scaling and Service type. */
  readonly ingressGateway: IstioDeploymentScaling & { readonly serviceType: GatewayServiceType };
  /**
   * The egress gateway's scaling.
   * @default - no egress gateway
   */
  readonly egressGateway?: IstioDeploymentScaling;
  /**
   * Enforce production's availability rules: istiod (the injection webhook is on every pod creation)
   * autoscaled from at least 2 replicas, with a PodDisruptionBudget.
   */
  readonly highAvailability: boolean;
}

/**
 * Layer MESH: istiod and the gateway deployments, all in istio-system. The ingress gateway
 * `istio-ingressgateway` (label `istio: ingressgateway`) lives in istio-system rather than a namespace of
 * its own, because a Gateway's `credentialName` Secret must be in the gateway deployment's namespace and
 * scenarios S2 and S7 put the Gateway and its Certificate in istio-system.
 */
export class IstioControlPlaneChart extends LayerChart {
  /** The control plane. */
  readonly istiod: Istiod;
  /** The ingress gateway deployment. */
  readonly ingressGateway: IstioGateway;
  /** The egress gateway deployment, when enabled. */
  readonly egressGateway?: IstioGateway;

  constructor(scope: Construct, id: string, props: IstioControlPlaneChartProps) {
    super(scope, id, { layer: Layer.MESH });
    if (props.highAvailability) {
      const s = props.istiod;
      const min = s.autoscaling?.minReplicas ?? s.replicas;
      if (min < 2 || !s.autoscaling || !s.podDisruptionBudget) {
        invalid(
          'IstioControlPlaneChart',
          this,
          `istiod must be highly available in production (the sidecar injection webhook is on every pod's creation path): autoscaling from minReplicas >= 2 with a PodDisruptionBudget; got ${s.autoscaling ? `autoscaling ${s.autoscaling.minReplicas}-${s.autoscaling.maxReplicas}` : `${s.replicas} fixed replica(s)`}${s.podDisruptionBudget ? '' : ', no PodDisruptionBudget'}; set mesh:istio.install.istiod.autoscaling.minReplicas: 2 and podDisruptionBudget: true`,
        );
      }
    }
    this.istiod = new Istiod(this, 'istiod', {
      base: props.base,
      profile: props.profile,
      cni: props.cni,
      replicas: props.istiod.replicas,
      autoscaling: props.istiod.autoscaling,
      podDisruptionBudget: props.istiod.podDisruptionBudget,
      resources: props.istiod.resources,
      proxyResources: props.proxyResources,
      outboundTrafficPolicy: props.outboundTrafficPolicy,
      accessLogFile: props.accessLogFile,
      tracing: props.tracing,
    });
    this.ingressGateway = new IstioGateway(this, 'istio-ingressgateway', {
      istiod: this.istiod,
      direction: GatewayDirection.INGRESS,
      profile: props.profile,
      replicas: props.ingressGateway.replicas,
      autoscaling: props.ingressGateway.autoscaling,
      podDisruptionBudget: props.ingressGateway.podDisruptionBudget,
      serviceType: props.ingressGateway.serviceType,
      resources: props.ingressGateway.resources,
    });
    if (props.egressGateway) {
      this.egressGateway = new IstioGateway(this, 'istio-egressgateway', {
        istiod: this.istiod,
        direction: GatewayDirection.EGRESS,
        profile: props.profile,
        replicas: props.egressGateway.replicas,
        autoscaling: props.egressGateway.autoscaling,
        podDisruptionBudget: props.egressGateway.podDisruptionBudget,
        resources: props.egressGateway.resources,
      });
    }
  }
}
