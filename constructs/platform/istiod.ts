import { Construct } from 'constructs';
import { DNS_LABEL, invalid } from '../core/errors';
import { Variant } from '../core/variant';
import { HelmComponent } from './helm-component';
import { IstioBase } from './istio-base';
import {
  ChartResources,
  checkChartResources,
  checkIstioProfile,
  ISTIO_SYSTEM_NAMESPACE,
  IstioGlobalValues,
  IstioProfile,
  istioChart,
  istioPlatform,
} from './istio-release';

/** What sidecars may reach outside the mesh registry (`meshConfig.outboundTrafficPolicy.mode`). */
export class MeshOutboundTrafficMode extends Variant<'ALLOW_ANY' | 'REGISTRY_ONLY'> {
  /** Any host: a host without a `ServiceEntry` is passed through unchecked. */
  static readonly ALLOW_ANY = new MeshOutboundTrafficMode('ALLOW_ANY');
  /** Only hosts of the service registry: every external host needs a `ServiceEntry`. */
  static readonly REGISTRY_ONLY = new MeshOutboundTrafficMode('REGISTRY_ONLY');

  /** Every mode. */
  static readonly ALL: readonly MeshOutboundTrafficMode[] = [MeshOutboundTrafficMode.ALLOW_ANY, MeshOutboundTrafficMode.REGISTRY_ONLY];

  /** @param name - The mode's name in Istio's meshConfig, e.g. `REGISTRY_ONLY`. */
  private constructor(name: MeshOutboundTrafficMode['name']) {
    super(name);
  }
}

/** Horizontal autoscaling of a control-plane or gateway Deployment, on CPU utilization. */
export interface ComponentAutoscaling {
  /** Fewest replicas. */
  readonly minReplicas: number;
  /** Most replicas. */
  readonly maxReplicas: number;
  /**
   * Target average CPU utilization, percent of the request.
   * @default 80
   */
  readonly cpuUtilization?: number;
}

import type { TracingProvider } from '../core/tracing';

export type { TracingProvider };

/** The values of Istio's `istiod` chart that the platform sets. */
export interface IstiodValues {
  /** Settings shared by every Istio chart (istiod's namespace, the platform), and istiod's PodDisruptionBudget. */
  readonly global?: IstioGlobalValues & {
    /** The chart's PodDisruptionBudget of istiod (always minAvailable 1: the chart reads no other field). */
    readonly defaultPodDisruptionBudget?: { readonly enabled: boolean };
    /** The sidecar proxies the injector adds to every pod of an injected namespace (`istio-proxy`, and `istio-init`). */
    readonly proxy?: { readonly resources?: ChartResources };
  };
  /** The istiod Deployment. */
  readonly pilot?: {
    /** Replicas when not autoscaled. */
    readonly replicaCount?: number;
    /** Create the HorizontalPodAutoscaler. */
    readonly autoscaleEnabled?: boolean;
    /** HPA minimum. */
    readonly autoscaleMin?: number;
    /** HPA maximum. */
    readonly autoscaleMax?: number;
    /** HPA CPU target. */
    readonly cpu?: { readonly targetAverageUtilization: number };
    /** Requests and limits. */
    readonly resources?: ChartResources;
    /** Leave traffic redirection to the Istio CNI plugin (no istio-init container in pods). */
    readonly cni?: { readonly enabled: boolean };
  };
  /** The mesh-wide proxy configuration. */
  readonly meshConfig?: {
    /** Where proxies write access logs (`/dev/stdout`), empty for none. */
    readonly accessLogFile?: string;
    /** What sidecars may reach outside the service registry. */
    readonly outboundTrafficPolicy?: { readonly mode: 'ALLOW_ANY' | 'REGISTRY_ONLY' };
    /** Backends the Telemetry API can select. */
    readonly extensionProviders?: ReadonlyArray<{
      readonly name: string;
      readonly opentelemetry?: { readonly service: string; readonly port: number };
      readonly zipkin?: { readonly service: string; readonly port: number };
    }>;
    /**
     * The providers used when no Telemetry resource names one. The chart adds `metrics: [prometheus]` only
     * when this is unset, so whoever sets it must list the metrics provider too.
     */
    readonly defaultProviders?: { readonly metrics?: readonly string[]; readonly tracing?: readonly string[] };
  };
}

/** Properties of an {@link Istiod}. */
export interface IstiodProps {
  /** The `base` release whose CRDs and webhook istiod needs; istiod is installed after it. */
  readonly base: IstioBase;
  /**
   * The kind of cluster: `openshift` renders `global.platform: openshift` and requires `cni: true`.
   * @default IstioProfile.DEFAULT (plain Kubernetes: no platform overlay)
   */
  readonly profile?: IstioProfile;
  /**
   * Namespace of the control plane.
   * @default 'istio-system'
   */
  readonly namespace?: string;
  /**
   * Replicas when not autoscaled. The sidecar injection webhook is on every pod's creation path, so
   * production needs at least 2.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Horizontal autoscaling of istiod (replaces `replicas`).
   * @default - no autoscaler: a fixed `replicas`
   */
  readonly autoscaling?: ComponentAutoscaling;
  /**
   * A PodDisruptionBudget (minAvailable 1), so a node drain never takes the injection webhook down.
   * Needs at least 2 replicas: with one, it would block every drain.
   * @default - true when istiod runs at least 2 replicas
   */
  readonly podDisruptionBudget?: boolean;
  /**
   * Requests and limits of istiod (`pilot.resources`). Give both CPU and memory of what you set: Helm merges
   * them over the chart's, so a request left out keeps the chart's value.
   * @default - the chart's: 500m CPU and 2Gi memory requested, no limits
   */
  readonly resources?: ChartResources;
  /**
   * Requests and limits of every injected sidecar proxy (`global.proxy.resources`; the `istio-init` container
   * gets the same). Pods override them with the `sidecar.istio.io/proxyCPU`, `proxyMemory`, `proxyCPULimit` and
   * `proxyMemoryLimit` annotations. A CPU limit also sets the proxy's worker threads (Envoy's concurrency follows
   * it when the mesh does not set one).
   * @default - the chart's: 100m CPU and 128Mi requested, limits 2 CPU and 1Gi
   */
  readonly proxyResources?: ChartResources;
  /**
   * Traffic redirection by the Istio CNI plugin (install {@link IstioCni} too): pods need no
   * NET_ADMIN/NET_RAW init container (scenario S8).
   * @default false
   */
  readonly cni?: boolean;
  /**
   * Where the proxies write access logs, such as `/dev/stdout`.
   * @default - no access log file (the Telemetry API can still enable logging)
   */
  readonly accessLogFile?: string;
  /**
   * What sidecars may reach outside the service registry. `REGISTRY_ONLY` blocks every host that has
   * no `ServiceEntry` (declare them with `ExternalService`).
   * @default MeshOutboundTrafficMode.REGISTRY_ONLY
   */
  readonly outboundTrafficPolicy?: MeshOutboundTrafficMode;
  /**
   * The tracing backend, registered as an extension provider and made the default tracing provider
   * (beside the default metrics provider, Istio's built-in `prometheus`, which stays on either way).
   * @default - no tracing provider
   */
  readonly tracing?: TracingProvider;
}

/**
 * Istio's built-in metrics provider. The mesh's default metrics go to it: `istio_requests_total` and
 * `istio_request_duration_milliseconds`, which Flagger's analysis, the alert rules, Kiali's graph and the
 * Istio dashboards all read.
 */
export const ISTIO_PROMETHEUS_PROVIDER = 'prometheus';

/** Providers built into Istio, which an extension provider must not shadow. */
const BUILT_IN_PROVIDERS = [ISTIO_PROMETHEUS_PROVIDER, 'stackdriver', 'envoy'];

/**
 * Istio's control plane (`istiod` chart): pilot, the CA and the sidecar injection webhook, with the
 * mesh-wide proxy configuration.
 */
export class Istiod extends HelmComponent {
  /** The values given to the chart. */
  readonly typedValues: IstiodValues;
  /** The fewest replicas istiod runs. */
  readonly minReplicas: number;
  /** Whether redirection is left to the CNI plugin. */
  readonly cni: boolean;

  constructor(scope: Construct, id: string, props: IstiodProps) {
    const namespace = props.namespace ?? ISTIO_SYSTEM_NAMESPACE;
    const values = Istiod.valuesOf(props, namespace);
    super(scope, id, istioChart('istiod', { namespace, releaseName: 'istiod', dependsOn: [props.base], values }));
    this.typedValues = values;
    const fail = (message: string): never => invalid('Istiod', this, message);
    checkIstioProfile(props.profile, fail);
    this.cni = props.cni ?? false;
    if (props.profile === IstioProfile.OPENSHIFT && !this.cni) {
      fail(
        "profile 'openshift' needs the Istio CNI plugin (OpenShift does not let pods run the privileged istio-init container); set cni: true",
      );
    }
    const replicas = props.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 1) fail(`replicas ${replicas} is not a positive integer; use 1 or more, such as 2`);
    if (props.autoscaling) checkAutoscaling(props.autoscaling, fail);
    this.minReplicas = props.autoscaling ? props.autoscaling.minReplicas : replicas;
    if (values.global?.defaultPodDisruptionBudget?.enabled && this.minReplicas < 2) {
      fail(
        `a PodDisruptionBudget with ${this.minReplicas} replica would block every node drain; run at least 2 replicas (autoscaling minReplicas) or set podDisruptionBudget: false`,
      );
    }
    if (props.accessLogFile !== undefined && !props.accessLogFile.startsWith('/')) {
      fail(`accessLogFile '${props.accessLogFile}' is not an absolute path; use '/dev/stdout'`);
    }
    if (props.tracing) checkTracing(props.tracing, fail);
    if (props.resources) checkChartResources('resources', props.resources, fail);
    if (props.proxyResources) checkChartResources('proxyResources', props.proxyResources, fail);
  }

  private static valuesOf(props: IstiodProps, namespace: string): IstiodValues {
    const autoscaling = props.autoscaling;
    const minReplicas = autoscaling ? autoscaling.minReplicas : (props.replicas ?? 1);
    const podDisruptionBudget = props.podDisruptionBudget ?? minReplicas >= 2;
    const tracing = props.tracing;
    return {
      global: {
        istioNamespace: namespace,
        platform: istioPlatform(props.profile),
        defaultPodDisruptionBudget: { enabled: podDisruptionBudget },
        proxy: props.proxyResources ? { resources: props.proxyResources } : undefined,
      },
      pilot: {
        replicaCount: autoscaling ? undefined : (props.replicas ?? 1),
        autoscaleEnabled: autoscaling !== undefined,
        autoscaleMin: autoscaling?.minReplicas,
        autoscaleMax: autoscaling?.maxReplicas,
        cpu: autoscaling ? { targetAverageUtilization: autoscaling.cpuUtilization ?? 80 } : undefined,
        resources: props.resources,
        cni: { enabled: props.cni ?? false },
      },
      meshConfig: {
        accessLogFile: props.accessLogFile ?? '',
        outboundTrafficPolicy: { mode: (props.outboundTrafficPolicy ?? MeshOutboundTrafficMode.REGISTRY_ONLY).name },
        extensionProviders: tracing
          ? [{ name: tracing.name, [tracing.protocol.name]: { service: tracing.service, port: tracing.port } }]
          : undefined,
        // Always explicit: the chart's own `metrics: [prometheus]` disappears as soon as defaultProviders is set.
        defaultProviders: { metrics: [ISTIO_PROMETHEUS_PROVIDER], tracing: tracing ? [tracing.name] : undefined },
      },
    };
  }
}

/** Checks autoscaling bounds, reporting through `fail`. */
export function checkAutoscaling(a: ComponentAutoscaling, fail: (message: string) => never): void {
  if (!Number.isInteger(a.minReplicas) || a.minReplicas < 1)
    fail(`autoscaling minReplicas ${a.minReplicas} is not a positive integer; use 1 or more, such as 2`);
  if (!Number.isInteger(a.maxReplicas) || a.maxReplicas < a.minReplicas)
    fail(`autoscaling maxReplicas ${a.maxReplicas} is below minReplicas ${a.minReplicas}; set maxReplicas >= minReplicas`);
  const cpu = a.cpuUtilization ?? 80;
  if (!Number.isInteger(cpu) || cpu < 1 || cpu > 100)
    fail(`autoscaling cpuUtilization ${cpu} is not a percentage in 1-100; use a whole number such as 80`);
}

function checkTracing(t: TracingProvider, fail: (message: string) => never): void {
  if (!DNS_LABEL.test(t.name)) fail(`tracing provider name '${t.name}' is not a DNS-1123 label such as 'jaeger'`);
  if (BUILT_IN_PROVIDERS.includes(t.name))
    fail(
      `tracing provider name '${t.name}' is one of Istio's built-in providers (${BUILT_IN_PROVIDERS.join(', ')}); name the collector, e.g. 'jaeger' or 'otel'`,
    );
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/.test(t.service)) {
    fail(
      `tracing service '${t.service}' is not a fully qualified Service name; use e.g. 'jaeger-collector.istio-system.svc.cluster.local'`,
    );
  }
  if (!Number.isInteger(t.port) || t.port < 1 || t.port > 65535) fail(`tracing port ${t.port} is not a port number; use 1-65535`);
}
