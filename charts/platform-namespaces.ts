import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  CertManager,
  ChartWorkload,
  GatewayDirection,
  IstioCni,
  IstioGateway,
  Istiod,
  NamespaceIsolation,
  NetworkIngress,
  NetworkPeer,
  ObservabilityStack,
  PodSecurityLevel,
  WorkloadIdentity,
  invalid,
  podSecurityLabels,
} from '../constructs';
import { Layer, LayerChart } from './layer';

/** Ports of the sidecar and gateway agents Prometheus scrapes: merged metrics (15020) and Envoy's (15090). */
const PROXY_METRICS_PORTS = [15020, 15090];

/**
 * istiod's ports (istiod chart `deployment.yaml`): 15010 xDS (plain text), 15012 xDS and the CA over TLS (what
 * proxies connect to), 15014 monitoring (Prometheus' `istiod` job, Kiali's control-plane checks), 15017
 * the webhooks (sidecar injection, validation; its Service's port 443).
 */
const ISTIOD = { xds: [15010, 15012], monitoring: 15014, webhooks: 15017, podLabels: { app: 'istiod' } } as const;

/**
 * The ports the gateway chart's Service forwards to its pods (values `service.ports`: 15021 status for load
 * balancer health checks, 80 and 443, which the pods bind unprivileged) and the Gateways' servers listen on.
 */
const GATEWAY_PORTS = [80, 443, 15021];

/** cert-manager's webhook (`webhook.securePort`, what the API server calls) and every component's metrics port. */
const CERT_MANAGER = { webhookPort: 10250, metricsPort: 9402, webhookPodLabels: { 'app.kubernetes.io/component': 'webhook' } } as const;

/**
 * The pods cert-manager starts for an ACME HTTP-01 challenge in the namespace of the Certificate (the gateway's),
 * by the label cert-manager puts on them, and the port they answer the challenge on: the ingress gateway routes
 * the CA's request (and cert-manager's own self-check) there.
 */
const ACME_SOLVER = { podLabels: { 'acme.cert-manager.io/http01-solver': 'true' }, port: 8089 } as const;

/**
 * The observability charts' pods (their selector labels) and container ports, as the pinned charts render them
 * with the ObservabilityStack's values.
 */
const OBSERVABILITY = {
  prometheus: { podLabels: { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/component': 'server' }, port: 9090 },
  /** 9094: the replicas' cluster gossip (TCP and UDP), when there are several. */
  alertmanager: { podLabels: { 'app.kubernetes.io/name': 'alertmanager' }, port: 9093, clusterPort: 9094 },
  grafana: { podLabels: { 'app.kubernetes.io/name': 'grafana' }, port: 3000 },
  kiali: { podLabels: { 'app.kubernetes.io/name': 'kiali' }, metricsPort: 9090 },
  /** OTLP gRPC and HTTP, Zipkin: the receivers the stack's Jaeger configures; 16686 the query API; 8888 its metrics. */
  jaeger: { podLabels: { 'app.kubernetes.io/name': 'jaeger' }, receivers: [4317, 4318, 9411], query: 16686, metricsPort: 8888 },
} as const;

/** Kiali's pods, as a caller (its ServiceAccount is not needed: NetworkPolicy selects by labels). */
export function kialiPods(observabilityNamespace: string): WorkloadIdentity {
  return { namespace: observabilityNamespace, serviceAccount: 'kiali', podLabels: { ...OBSERVABILITY.kiali.podLabels } };
}

/** Properties of a {@link PlatformNamespacesChart}. */
export interface PlatformNamespacesChartProps {
  /** istiod: its namespace is declared, and its webhooks, xDS and monitoring ports are let in. */
  readonly istiod: Istiod;
  /**
   * The Istio gateways (ingress: reachable from anywhere on its Service's ports; egress: from every pod).
   * @default - none
   */
  readonly gateways?: readonly IstioGateway[];
  /**
   * The Istio CNI node agent, when installed: its namespace must admit privileged pods (host network, host paths).
   * @default - no CNI node agent
   */
  readonly cni?: IstioCni;
  /**
   * cert-manager, when installed: its namespace is declared and its webhook reachable by the API server.
   * @default - no cert-manager
   */
  readonly certManager?: CertManager;
  /**
   * Whether an ACME issuer solves HTTP-01 challenges through the ingress gateway (the solver pods run in the
   * gateway's namespace and must accept the gateway's connections).
   * @default false
   */
  readonly acmeHttp01?: boolean;
  /**
   * Flagger, when installed in one of these namespaces: Prometheus scrapes its metrics.
   * @default - no Flagger here
   */
  readonly flagger?: ChartWorkload;
  /** The Prometheus that scrapes istiod, the gateways, Flagger and cert-manager. */
  readonly prometheus: WorkloadIdentity;
  /**
   * Kiali's pods, which read istiod's monitoring port.
   * @default - no Kiali
   */
  readonly kiali?: WorkloadIdentity;
  /**
   * Default-deny ingress and the allow rules (`mesh:security.networkPolicies`); without them only the
   * Namespace objects (with their Pod Security labels) are rendered.
   * @default true
   */
  readonly networkPolicies?: boolean;
}

/**
 * Layer INFRASTRUCTURE: the namespaces the Istio and cert-manager releases install into, declared by the
 * platform rather than created by Helm (`install.createNamespace` creates a bare namespace, which no chart value
 * can label), with their Pod Security admission level, and isolated: a default-deny ingress NetworkPolicy and
 * exactly the traffic their pods need (see {@link istioSystemIngress}, {@link certManagerIngress}). In the
 * first layer, so that the namespaces exist, labelled and isolated, before any release installs a pod there.
 *
 * Pod Security: `privileged` for the namespace of the Istio CNI node agent (a privileged DaemonSet on the host
 * network, with host paths); `baseline` for the rest of the Istio namespace (the istiod and gateway charts set
 * no seccomp profile, which `restricted` requires); `restricted` for cert-manager (its chart sets the restricted
 * security contexts). `warn` and `audit` are `restricted` everywhere.
 *
 * The Namespace objects carry `kustomize.toolkit.fluxcd.io/prune: disabled`: removing one from the tree never
 * makes Flux delete istio-system or cert-manager (and everything in them).
 */
export class PlatformNamespacesChart extends LayerChart {
  /** The isolation of each namespace, by namespace (when NetworkPolicies are on). */
  readonly isolation = new Map<string, NamespaceIsolation>();
  /** The Namespace objects, by name. */
  readonly namespaces = new Map<string, ApiObject>();
  /** The Pod Security level each namespace enforces. */
  readonly podSecurity = new Map<string, PodSecurityLevel>();

  constructor(scope: Construct, id: string, props: PlatformNamespacesChartProps) {
    super(scope, id, { layer: Layer.INFRASTRUCTURE });
    const rules = new Map<string, NetworkIngress[]>();
    const add = (namespace: string, level: PodSecurityLevel, ...ingress: NetworkIngress[]) => {
      const current = this.podSecurity.get(namespace);
      // The most permissive level a component of the namespace needs.
      const order = [PodSecurityLevel.RESTRICTED, PodSecurityLevel.BASELINE, PodSecurityLevel.PRIVILEGED];
      if (!current || order.indexOf(level) > order.indexOf(current)) this.podSecurity.set(namespace, level);
      rules.set(namespace, [...(rules.get(namespace) ?? []), ...ingress]);
    };
    const gateways = props.gateways ?? [];
    add(props.istiod.namespace, PodSecurityLevel.BASELINE, ...istioSystemIngress(props.prometheus, props.kiali));
    for (const gateway of gateways) add(gateway.namespace, PodSecurityLevel.BASELINE, ...gatewayIngress(gateway, props.prometheus));
    const ingressGateway = gateways.find((g) => g.direction === GatewayDirection.INGRESS);
    if (props.acmeHttp01) {
      if (!ingressGateway)
        invalid('PlatformNamespacesChart', this, 'acmeHttp01 needs the ingress gateway that routes the challenges; pass it in gateways');
      add(ingressGateway.namespace, PodSecurityLevel.BASELINE, {
        name: 'acme-http01-solver',
        pods: ACME_SOLVER.podLabels,
        from: [NetworkPeer.pods(ingressGateway.namespace, ingressGateway.selector)],
        ports: [ACME_SOLVER.port],
        purpose: 'the ingress gateway routes ACME HTTP-01 challenges to the solver pods cert-manager starts here',
      });
    }
    if (props.flagger)
      add(props.flagger.namespace, PodSecurityLevel.BASELINE, {
        name: 'flagger-metrics',
        pods: props.flagger.podLabels,
        from: [NetworkPeer.pods(props.prometheus.namespace, props.prometheus.podLabels)],
        ports: [props.flagger.port],
        purpose: "Prometheus scrapes Flagger's metrics",
      });
    if (props.cni) add(props.cni.namespace, PodSecurityLevel.PRIVILEGED);
    if (props.certManager) add(props.certManager.namespace, PodSecurityLevel.RESTRICTED, ...certManagerIngress(props.prometheus));

    for (const [namespace, level] of this.podSecurity) {
      const ns = new k8s.KubeNamespace(this, `namespace-${namespace}`, {
        metadata: {
          name: namespace,
          labels: podSecurityLabels(level),
          annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' },
        },
      });
      this.namespaces.set(namespace, ns);
      if (props.networkPolicies ?? true)
        this.isolation.set(namespace, new NamespaceIsolation(this, `isolation-${namespace}`, { namespace, ingress: rules.get(namespace) }));
    }
  }
}

/**
 * What istiod's pods (label `app: istiod`) accept:
 *
 * - the webhooks (15017) from any source: the Kubernetes API server calls them on every pod creation (sidecar
 *   injection) and every Istio resource change (validation); its address is not a pod's (on managed clusters
 *   not even a node's), so no pod or namespace selector can name it, and a default deny that forgot this port
 *   would stop every pod of an injected namespace from being created;
 * - xDS and certificates (15010, 15012) from every pod: every sidecar of every meshed namespace and the gateways;
 * - monitoring (15014) from Prometheus (its `istiod` job) and Kiali.
 */
export function istioSystemIngress(prometheus: WorkloadIdentity, kiali?: WorkloadIdentity): NetworkIngress[] {
  const monitors = [NetworkPeer.pods(prometheus.namespace, prometheus.podLabels)];
  if (kiali) monitors.push(NetworkPeer.pods(kiali.namespace, kiali.podLabels));
  return [
    {
      name: 'istiod-webhooks',
      pods: ISTIOD.podLabels,
      from: [NetworkPeer.anywhere()],
      ports: [ISTIOD.webhooks],
      purpose: 'the Kubernetes API server calls the sidecar injection and validation webhooks; its address is no pod address',
    },
    {
      name: 'istiod-xds',
      pods: ISTIOD.podLabels,
      from: [NetworkPeer.anyPod()],
      ports: [...ISTIOD.xds],
      purpose: 'every sidecar and gateway fetches its configuration and workload certificate from istiod',
    },
    {
      name: 'istiod-monitoring',
      pods: ISTIOD.podLabels,
      from: monitors,
      ports: [ISTIOD.monitoring],
      purpose: "Prometheus scrapes istiod's metrics and Kiali reads its monitoring port",
    },
  ].map((r) => ({ ...r, pods: { ...r.pods } }));
}

/**
 * What a gateway's pods accept: the ingress gateway its Service's ports from anywhere (clients through the load
 * balancer, which keeps or replaces their addresses, and the load balancer's health checks on 15021); the
 * egress gateway its ports from every pod (the sidecars route external calls through it); both their proxy
 * metrics from Prometheus.
 */
export function gatewayIngress(gateway: IstioGateway, prometheus: WorkloadIdentity): NetworkIngress[] {
  const ingress = gateway.direction === GatewayDirection.INGRESS;
  return [
    {
      name: `${gateway.direction.name}-gateway`,
      pods: { ...gateway.selector },
      from: [ingress ? NetworkPeer.anywhere() : NetworkPeer.anyPod()],
      ports: ingress ? GATEWAY_PORTS : [80, 443],
      purpose: ingress
        ? 'clients and the load balancer reach the ingress gateway from outside the cluster'
        : 'the sidecars send external calls through the egress gateway',
    },
    {
      name: `${gateway.direction.name}-gateway-metrics`,
      pods: { ...gateway.selector },
      from: [NetworkPeer.pods(prometheus.namespace, prometheus.podLabels)],
      ports: PROXY_METRICS_PORTS,
      purpose: "Prometheus scrapes the gateway proxy's metrics",
    },
  ];
}

/**
 * What cert-manager's pods accept: its webhook (10250) from any source (the API server validates and converts
 * every cert-manager resource through it; see {@link istioSystemIngress} on why no selector can name the API
 * server), and every component's metrics (9402) from Prometheus.
 */
export function certManagerIngress(prometheus: WorkloadIdentity): NetworkIngress[] {
  return [
    {
      name: 'cert-manager-webhook',
      pods: { ...CERT_MANAGER.webhookPodLabels },
      from: [NetworkPeer.anywhere()],
      ports: [CERT_MANAGER.webhookPort],
      purpose: "the Kubernetes API server calls cert-manager's validating, mutating and conversion webhooks",
    },
    {
      name: 'cert-manager-metrics',
      from: [NetworkPeer.pods(prometheus.namespace, prometheus.podLabels)],
      ports: [CERT_MANAGER.metricsPort],
      purpose: "Prometheus scrapes cert-manager's controller, webhook and CA injector",
    },
  ];
}

/** Properties of a {@link PlatformIsolationChart}. */
export interface PlatformIsolationChartProps {
  /** The observability stack (its namespace is declared in layer platform by its chart). */
  readonly observability: ObservabilityStack;
  /**
   * Flagger, which queries Prometheus for the canaries' metrics.
   * @default - no Flagger
   */
  readonly flagger?: ChartWorkload;
}

/**
 * Layer PLATFORM, beside the observability stack: its namespace (declared by the stack in this layer) gets a
 * default-deny ingress and exactly what its components need (see {@link observabilityIngress}).
 * The load tester's namespace is isolated by its own policy (`LoadTesterAccessChart`).
 */
export class PlatformIsolationChart extends LayerChart {
  /** The isolation of the observability namespace. */
  readonly observability: NamespaceIsolation;

  constructor(scope: Construct, id: string, props: PlatformIsolationChartProps) {
    super(scope, id, { layer: Layer.PLATFORM });
    const namespace = props.observability.namespace;
    const values = props.observability.prometheus.values as { alertmanager?: { enabled?: boolean; replicaCount?: number } };
    this.observability = new NamespaceIsolation(this, `isolation-${namespace}`, {
      namespace,
      ingress: observabilityIngress(namespace, props.flagger, { alertmanagerReplicas: values.alertmanager?.replicaCount ?? 1 }),
    });
  }
}

/**
 * What the observability stack's pods accept: Prometheus' query API from Grafana, Kiali and Flagger (canary
 * analysis); Alertmanager from Prometheus, and from its own replicas (cluster gossip, with several); Grafana from Kiali;
 * Jaeger's receivers from every pod (every proxy reports spans) and its query API from Grafana and Kiali; each
 * component's metrics from Prometheus.
 * (Users reach the UIs with `kubectl port-forward`, which NetworkPolicy does not see.)
 */
export function observabilityIngress(
  namespace: string,
  flagger?: ChartWorkload,
  options: { readonly alertmanagerReplicas?: number } = {},
): NetworkIngress[] {
  const o = OBSERVABILITY;
  const pods = (labels: Readonly<Record<string, string>>) => NetworkPeer.pods(namespace, labels);
  const prometheus = pods(o.prometheus.podLabels);
  // The chart starts the gossip listener only for a cluster of replicas.
  const gossip: NetworkIngress[] =
    (options.alertmanagerReplicas ?? 1) > 1
      ? [
          {
            name: 'alertmanager-cluster',
            pods: { ...o.alertmanager.podLabels },
            from: [pods(o.alertmanager.podLabels)],
            ports: [o.alertmanager.clusterPort],
            protocols: ['TCP', 'UDP'],
            purpose: 'Alertmanager replicas share silences and notification state (cluster gossip)',
          },
        ]
      : [];
  return [
    {
      name: 'prometheus-query',
      pods: { ...o.prometheus.podLabels },
      from: [
        pods(o.grafana.podLabels),
        pods(o.kiali.podLabels),
        ...(flagger ? [NetworkPeer.pods(flagger.namespace, flagger.podLabels)] : []),
      ],
      ports: [o.prometheus.port],
      purpose: 'Grafana, Kiali and Flagger (canary analysis) query Prometheus',
    },
    {
      name: 'alertmanager',
      pods: { ...o.alertmanager.podLabels },
      from: [prometheus],
      ports: [o.alertmanager.port],
      purpose: 'Prometheus sends alerts to Alertmanager and scrapes it',
    },
    ...gossip,
    {
      name: 'grafana',
      pods: { ...o.grafana.podLabels },
      from: [pods(o.kiali.podLabels), prometheus],
      ports: [o.grafana.port],
      purpose: 'Kiali links to Grafana; Prometheus scrapes its metrics',
    },
    {
      name: 'kiali-metrics',
      pods: { ...o.kiali.podLabels },
      from: [prometheus],
      ports: [o.kiali.metricsPort],
      purpose: "Prometheus scrapes Kiali's metrics",
    },
    {
      name: 'jaeger-receivers',
      pods: { ...o.jaeger.podLabels },
      from: [NetworkPeer.anyPod()],
      ports: [...o.jaeger.receivers],
      purpose: 'every sidecar and gateway reports spans to the tracing collector',
    },
    {
      name: 'jaeger-query',
      pods: { ...o.jaeger.podLabels },
      from: [pods(o.grafana.podLabels), pods(o.kiali.podLabels)],
      ports: [o.jaeger.query],
      purpose: 'Grafana and Kiali read traces',
    },
    {
      name: 'jaeger-metrics',
      pods: { ...o.jaeger.podLabels },
      from: [prometheus],
      ports: [o.jaeger.metricsPort],
      purpose: "Prometheus scrapes Jaeger's metrics",
    },
  ];
}
