import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import * as YAML from 'yaml';
import { Telemetry } from '../../imports/telemetry.istio.io';
import { DNS_LABEL, invalid } from '../core/errors';
import { HelmComponent, HelmRepositoryRef } from '../platform/helm-component';
import { parseResources, ResourceRequirements } from '../workloads/mesh-app';
import { MeshNamespace } from '../workloads/mesh-namespace';
import { requireSecret } from '../core/secret-requirement';
import { formatDuration } from '../core/duration';
import { ISTIO_SYSTEM_NAMESPACE } from '../core/namespaces';
import { ChatService } from '../core/chat';
import { TracingProtocol, TracingProvider } from '../core/tracing';
import { serviceHost } from '../core/hosts';
import { Variant } from '../core/variant';

/** The namespace the observability stack installs into unless told otherwise. */
export const OBSERVABILITY_NAMESPACE = 'observability';

/**
 * The name of the tracing extension provider. The Istio installation declares a meshConfig
 * `extensionProvider` with this name (see {@link jaegerTracingProvider}); `Telemetry` resources refer to it.
 */
export const JAEGER_TRACING_PROVIDER = 'jaeger';

/** One pinned upstream chart. */
export interface PinnedChart {
  /** Its repository. */
  readonly repository: HelmRepositoryRef;
  /** Its name in the repository. */
  readonly chart: string;
  /** The exact version installed. */
  readonly version: string;
}

/** The upstream charts of the observability stack, pinned. */
export const OBSERVABILITY_CHARTS = {
  /** Prometheus server + Alertmanager (prometheus-community). */
  prometheus: {
    repository: { name: 'prometheus-community', url: 'https://prometheus-community.github.io/helm-charts' },
    chart: 'prometheus',
    version: '29.27.0',
  },
  /** Grafana (moved from grafana.github.io to the grafana-community repository in 2026). */
  grafana: {
    repository: { name: 'grafana-community', url: 'https://grafana-community.github.io/helm-charts' },
    chart: 'grafana',
    version: '11.6.1',
  },
  /** Jaeger v2 (one binary: OTLP collector, in-memory store, query UI). */
  jaeger: { repository: { name: 'jaegertracing', url: 'https://jaegertracing.github.io/helm-charts' }, chart: 'jaeger', version: '4.4.7' },
  /** Kiali server, without its operator. */
  kiali: { repository: { name: 'kiali', url: 'https://kiali.org/helm-charts' }, chart: 'kiali-server', version: '2.29.0' },
} as const satisfies Record<string, PinnedChart>;

/**
 * The Services the charts create. The stack pins them through the charts' naming values
 * (`fullnameOverride`, `instance_name`, ports) so that addresses never depend on release names.
 */
export const OBSERVABILITY_SERVICES = {
  prometheus: { name: 'prometheus-server', port: 80 },
  alertmanager: { name: 'prometheus-alertmanager', port: 9093 },
  grafana: { name: 'grafana', port: 80 },
  jaegerQuery: { name: 'jaeger', port: 16686 },
  jaegerOtlpGrpc: { name: 'jaeger', port: 4317 },
  kiali: { name: 'kiali', port: 20001 },
} as const;

/**
 * The path Kiali serves its UI and API under. The kiali-server chart defaults it by platform (`/kiali` on
 * Kubernetes, `/` on OpenShift); the stack pins it so that {@link ObservabilityStack.kialiUrl} is right everywhere.
 */
export const KIALI_WEB_ROOT = '/kiali';

/**
 * The Prometheus query URL of an observability stack installed in `namespace`: what Flagger takes as
 * its `metricsServer`, Kiali and Grafana as their Prometheus.
 */
export function prometheusUrl(namespace: string = OBSERVABILITY_NAMESPACE): string {
  const { name, port } = OBSERVABILITY_SERVICES.prometheus;
  return `http://${serviceHost(name, namespace)}:${port}`;
}

/** Who Prometheus is, for policies that must let it scrape (AuthorizationPolicy principals, NetworkPolicy peers). */
export interface PrometheusIdentity {
  /** Its namespace. */
  readonly namespace: string;
  /** Its ServiceAccount (pinned through the chart's `serviceAccounts.server.name`). */
  readonly serviceAccount: string;
  /** Labels of its pods. */
  readonly podLabels: Readonly<Record<string, string>>;
}

/** The identity of the Prometheus server of a stack installed in `namespace`. */
export function prometheusIdentity(namespace: string = OBSERVABILITY_NAMESPACE): PrometheusIdentity {
  return {
    namespace,
    serviceAccount: OBSERVABILITY_SERVICES.prometheus.name,
    podLabels: { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/component': 'server' },
  };
}

/**
 * A mesh tracing backend: the one {@link TracingProvider} type.
 * @deprecated use TracingProvider
 */
export type MeshTracingBackend = TracingProvider;

/**
 * The extension provider the Istio installation declares so that proxies send spans (OTLP gRPC) to
 * the stack's Jaeger: `{ name: 'jaeger', opentelemetry: { service: 'jaeger.<ns>.svc.cluster.local', port: 4317 } }`.
 */
export function jaegerTracingProvider(namespace: string = OBSERVABILITY_NAMESPACE): TracingProvider {
  const { name, port } = OBSERVABILITY_SERVICES.jaegerOtlpGrpc;
  return { name: JAEGER_TRACING_PROVIDER, protocol: TracingProtocol.OPENTELEMETRY, service: serviceHost(name, namespace), port };
}

// ---------------------------------------------------------------------------------------------
// Variants: secret references, alert receivers, Kiali authentication, dashboards, alert rules
// ---------------------------------------------------------------------------------------------

/** One key of a Kubernetes Secret in the stack's namespace, created outside Git. */
export interface SecretKeyReference {
  /** The Secret's name. */
  readonly name: string;
  /** The key within the Secret. */
  readonly key: string;
}

/** Grafana's admin credentials: a Secret (created outside Git) and its two keys. */
export interface GrafanaAdminSecret {
  /** The Secret's name. */
  readonly name: string;
  /**
   * The key holding the admin user name.
   * @default 'admin-user'
   */
  readonly userKey?: string;
  /**
   * The key holding the admin password.
   * @default 'admin-password'
   */
  readonly passwordKey?: string;
}

/** Where Alertmanager sends notifications. The webhook URL is read from a mounted Secret, never inlined. */
export class AlertReceiver {
  /** A Slack incoming webhook (`slack_configs`, `api_url_file`). */
  static slack(props: { readonly webhookSecret: SecretKeyReference; readonly channel?: string }): AlertReceiver {
    return new AlertReceiver(ChatService.SLACK, props.webhookSecret, props.channel);
  }

  /** A Microsoft Teams Workflows webhook (`msteamsv2_configs`, `webhook_url_file`). */
  static teams(props: { readonly webhookSecret: SecretKeyReference }): AlertReceiver {
    return new AlertReceiver(ChatService.TEAMS, props.webhookSecret);
  }

  private constructor(
    /** The chat service. */
    readonly kind: ChatService,
    /** The Secret key holding the webhook URL. */
    readonly webhookSecret: SecretKeyReference,
    /** The Slack channel (Slack only). */
    readonly channel?: string,
  ) {}
}

/** How users authenticate to Kiali. */
export class KialiAuth {
  /** No login: anyone who reaches Kiali may use it. For development clusters only. */
  static anonymous(): KialiAuth {
    return new KialiAuth('anonymous');
  }

  /** Login with a Kubernetes ServiceAccount token; Kiali acts with the user's RBAC. */
  static token(): KialiAuth {
    return new KialiAuth('token');
  }

  /**
   * OpenID Connect login. The client secret is read by Kiali from the Secret `kiali` (key `oidc-secret`),
   * created outside Git.
   */
  static openId(props: { readonly issuerUri: string; readonly clientId: string }): KialiAuth {
    return new KialiAuth('openid', props.issuerUri, props.clientId);
  }

  private constructor(
    /** Kiali's `auth.strategy`. */
    readonly strategy: 'anonymous' | 'token' | 'openid',
    /** OpenID issuer URI. */
    readonly issuerUri?: string,
    /** OpenID client id. */
    readonly clientId?: string,
  ) {}
}

/** A Grafana dashboard provisioned by the Grafana chart (downloaded at start, never copied into Git). */
export class GrafanaDashboard {
  /** A dashboard published on grafana.com, pinned to a revision. */
  static fromGrafanaCom(props: {
    readonly name: string;
    readonly gnetId: number;
    readonly revision: number;
    readonly folder: string;
  }): GrafanaDashboard {
    return new GrafanaDashboard(props.name, props.folder, { gnetId: props.gnetId, revision: props.revision });
  }

  /** A dashboard JSON at an immutable (tagged) HTTPS URL. */
  static fromUrl(props: { readonly name: string; readonly url: string; readonly folder: string }): GrafanaDashboard {
    return new GrafanaDashboard(props.name, props.folder, { url: props.url });
  }

  private constructor(
    /** The dashboard key (file name) in its folder. */
    readonly name: string,
    /** The Grafana folder (and dashboard provider) it lands in. */
    readonly folder: string,
    /** Where the chart downloads it from. */
    readonly source: { readonly gnetId: number; readonly revision: number } | { readonly url: string },
  ) {}
}

/** Istio's dashboards on grafana.com (published by the Istio project), pinned revision. */
export const ISTIO_DASHBOARD_REVISION = 202;

/** Istio's mesh, service, workload, performance and control-plane dashboards. */
export const ISTIO_DASHBOARDS: readonly GrafanaDashboard[] = [
  ['istio-mesh', 7639],
  ['istio-service', 7636],
  ['istio-workload', 7630],
  ['istio-performance', 11829],
  ['istio-control-plane', 7645],
].map(([name, gnetId]) =>
  GrafanaDashboard.fromGrafanaCom({ name: name as string, gnetId: gnetId as number, revision: ISTIO_DASHBOARD_REVISION, folder: 'istio' }),
);

/** Flagger's Istio canary dashboard (primary vs canary), from the Flagger release the platform installs. */
export const FLAGGER_CANARY_DASHBOARD = GrafanaDashboard.fromUrl({
  name: 'flagger-canary',
  url: 'https://raw.githubusercontent.com/fluxcd/flagger/v1.44.0/charts/grafana/dashboards/istio.json',
  folder: 'flagger',
});

/** How urgent an alert is (the `severity` label Alertmanager routes on). */
export class AlertSeverity extends Variant<'critical' | 'warning' | 'info'> {
  /** Someone must act now: the mesh or a service is failing. */
  static readonly CRITICAL = new AlertSeverity('critical');
  /** Something degrades and needs a look soon. */
  static readonly WARNING = new AlertSeverity('warning');
  /** For the record: no action expected. */
  static readonly INFO = new AlertSeverity('info');

  /** Every severity, most urgent first. */
  static readonly ALL: readonly AlertSeverity[] = [AlertSeverity.CRITICAL, AlertSeverity.WARNING, AlertSeverity.INFO];

  /** @param name - The value of the `severity` label, e.g. `critical`. */
  private constructor(name: AlertSeverity['name']) {
    super(name);
  }
}

/** Properties of an {@link AlertRule}. */
export interface AlertRuleProps {
  /** The alert name (`alert:`), a Prometheus metric-style identifier such as `IstiodDown`. */
  readonly name: string;
  /** The PromQL expression; the alert fires for every series it returns. */
  readonly expr: string;
  /**
   * How long the expression must hold before the alert fires.
   * @default Duration.minutes(5)
   */
  readonly for?: Duration;
  /**
   * Severity label.
   * @default AlertSeverity.WARNING
   */
  readonly severity?: AlertSeverity;
  /** One-line summary (may use `{{ $labels.x }}` and `{{ $value }}`). */
  readonly summary: string;
}

/** Names of Istio's sidecar injection webhooks (`namespace.`, `object.`, `rev.namespace.` ... `sidecar-injector.istio.io`). */
const ISTIO_INJECTION_WEBHOOKS = '.*sidecar-injector\\\\.istio\\\\.io';

/** Label sets the built-in rules aggregate by: one alert per destination service. */
const PER_SERVICE = 'destination_service_namespace, destination_service_name';

/** A Prometheus alerting rule. */
export class AlertRule {
  /**
   * P99 request latency of a service above `threshold` (scenario S8: alert at 200 ms), from the
   * server-side (`reporter="destination"`) Istio request duration histogram.
   */
  static p99LatencyAbove(threshold: Duration): AlertRule {
    const ms = threshold.toMilliseconds();
    return new AlertRule({
      name: 'IstioServiceP99LatencyHigh',
      expr: `histogram_quantile(0.99, sum by (${PER_SERVICE}, le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination"}[5m]))) > ${ms}`,
      for: Duration.minutes(5),
      severity: AlertSeverity.WARNING,
      summary: `P99 latency of {{ $labels.destination_service_name }}.{{ $labels.destination_service_namespace }} is {{ $value }} ms (threshold ${ms} ms)`,
    });
  }

  /** Share of 5xx responses of a service above `ratio` (0.01 = 1 %). */
  static errorRatioAbove(ratio: number): AlertRule {
    const total = `sum by (${PER_SERVICE}) (rate(istio_requests_total{reporter="destination"}[5m]))`;
    const errors = `sum by (${PER_SERVICE}) (rate(istio_requests_total{reporter="destination", response_code=~"5.."}[5m]))`;
    return new AlertRule({
      name: 'IstioService5xxRatioHigh',
      expr: `${errors} / ${total} > ${ratio}`,
      for: Duration.minutes(5),
      severity: AlertSeverity.CRITICAL,
      summary: `{{ $labels.destination_service_name }}.{{ $labels.destination_service_namespace }} answers {{ $value | humanizePercentage }} 5xx (threshold ${ratio * 100} %)`,
    });
  }

  /** A Flagger canary analysis failed and was rolled back (`flagger_canary_status` 2 = failed). */
  static canaryFailed(): AlertRule {
    return new AlertRule({
      name: 'FlaggerCanaryFailed',
      expr: 'flagger_canary_status > 1',
      for: Duration.minutes(1),
      severity: AlertSeverity.WARNING,
      summary: 'Canary {{ $labels.name }}.{{ $labels.namespace }} failed its analysis and was rolled back',
    });
  }

  /** No istiod instance is up: no configuration push, no certificates, no injection. */
  static istiodDown(): AlertRule {
    return new AlertRule({
      name: 'IstiodDown',
      expr: 'absent(up{job="istiod"} == 1)',
      for: Duration.minutes(2),
      severity: AlertSeverity.CRITICAL,
      summary: 'No istiod instance is up: configuration, certificates and sidecar injection are unavailable',
    });
  }

  /**
   * Sidecar injection fails, so pods of injected namespaces cannot be created: istiod reports failed
   * injections (`sidecar_injection_failure_total`), or the API server cannot call Istio's injection
   * webhook at all (`apiserver_admission_webhook_rejection_count` with `error_type="calling_webhook_error"`,
   * from the chart's `kubernetes-apiservers` scrape job), which istiod cannot count because no request reaches it.
   */
  static sidecarInjectionFailing(): AlertRule {
    const failed = 'sum(rate(sidecar_injection_failure_total[5m])) > 0';
    const unreachable = `sum(rate(apiserver_admission_webhook_rejection_count{name=~"${ISTIO_INJECTION_WEBHOOKS}", error_type="calling_webhook_error"}[5m])) > 0`;
    return new AlertRule({
      name: 'SidecarInjectionFailing',
      expr: `${failed} or ${unreachable}`,
      for: Duration.minutes(5),
      severity: AlertSeverity.CRITICAL,
      summary: 'Sidecar injection is failing ({{ $value }} failures/s): pods in injected namespaces cannot be created',
    });
  }

  /** The alert name. */
  readonly name: string;
  /** The PromQL expression. */
  readonly expr: string;
  /** How long the expression must hold. */
  readonly for: Duration;
  /** Severity label. */
  readonly severity: AlertSeverity;
  /** One-line summary. */
  readonly summary: string;

  constructor(props: AlertRuleProps) {
    this.name = props.name;
    this.expr = props.expr;
    this.for = props.for ?? Duration.minutes(5);
    this.severity = props.severity ?? AlertSeverity.WARNING;
    this.summary = props.summary;
  }
}

// ---------------------------------------------------------------------------------------------
// Typed chart values (only what the stack sets)
// ---------------------------------------------------------------------------------------------

/** One Prometheus alerting rule, as the rule file spells it. */
export interface PrometheusRuleValues {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: AlertSeverity['name'] };
  readonly annotations: { readonly summary: string };
}

/** The Alertmanager subchart values the stack sets. */
export interface AlertmanagerValues {
  readonly enabled: boolean;
  readonly replicaCount: number;
  /** Requests and limits of Alertmanager (the subchart sets none). */
  readonly resources: ResourceRequirements;
  readonly podAntiAffinity?: 'soft';
  readonly persistence: { readonly enabled: boolean; readonly size?: string };
  readonly extraSecretMounts: ReadonlyArray<{
    readonly name: string;
    readonly secretName: string;
    readonly mountPath: string;
    readonly readOnly: boolean;
    readonly optional: boolean;
  }>;
  readonly config: {
    readonly global: { readonly resolve_timeout: string };
    readonly route: {
      readonly receiver: string;
      readonly group_by: readonly string[];
      readonly group_wait: string;
      readonly group_interval: string;
      readonly repeat_interval: string;
    };
    readonly receivers: ReadonlyArray<Record<string, unknown> & { readonly name: string }>;
  };
}

/** The values of the prometheus-community `prometheus` chart that the stack sets. */
export interface PrometheusValues {
  readonly serviceAccounts: { readonly server: { readonly name: string } };
  readonly server: {
    readonly fullnameOverride: string;
    readonly replicaCount: number;
    readonly statefulSet: { readonly enabled: boolean };
    readonly podAntiAffinity?: 'soft';
    readonly retention: string;
    readonly retentionSize?: string;
    readonly persistentVolume: { readonly enabled: boolean; readonly size?: string; readonly storageClass?: string };
    readonly resources: ResourceRequirements;
    readonly global: { readonly scrape_interval: string; readonly evaluation_interval: string };
    readonly service: { readonly servicePort: number };
  };
  /** The config reloader beside the server (it tells Prometheus to reload when its ConfigMap changes; the chart sets no resources). */
  readonly configmapReload: { readonly prometheus: { readonly resources: ResourceRequirements } };
  readonly serverFiles: {
    readonly 'alerting_rules.yml': { readonly groups: ReadonlyArray<{ readonly name: string; readonly rules: PrometheusRuleValues[] }> };
  };
  /** Scrape jobs added to the chart's defaults (which already scrape annotated pods: sidecars' and gateways' merged metrics). */
  readonly extraScrapeConfigs: string;
  readonly alertmanager: AlertmanagerValues;
  readonly 'kube-state-metrics': { readonly enabled: boolean };
  readonly 'prometheus-node-exporter': { readonly enabled: boolean };
  readonly 'prometheus-pushgateway': { readonly enabled: boolean };
}

/** A provisioned Grafana datasource. */
export interface GrafanaDatasourceValues {
  readonly name: string;
  readonly uid: string;
  readonly type: 'prometheus' | 'jaeger';
  readonly access: 'proxy';
  readonly url: string;
  readonly isDefault: boolean;
  readonly editable: boolean;
}

/** A Grafana file dashboard provider (one per folder). */
export interface GrafanaDashboardProviderValues {
  readonly name: string;
  readonly orgId: number;
  readonly folder: string;
  readonly type: 'file';
  readonly disableDeletion: boolean;
  readonly editable: boolean;
  readonly options: { readonly path: string };
}

/** A dashboard entry of the Grafana chart's `dashboards` value. */
export type GrafanaDashboardValues = ({ readonly gnetId: number; readonly revision: number } | { readonly url: string }) & {
  readonly datasource: string;
};

/** The values of the `grafana` chart that the stack sets. */
export interface GrafanaValues {
  readonly fullnameOverride: string;
  readonly replicas: number;
  readonly admin: { readonly existingSecret: string; readonly userKey: string; readonly passwordKey: string };
  readonly service: { readonly port: number };
  readonly persistence: { readonly enabled: boolean };
  readonly testFramework: { readonly enabled: boolean };
  readonly resources: ResourceRequirements;
  /** The init container that downloads the dashboards at start (the chart sets no resources). */
  readonly downloadDashboards: { readonly resources: ResourceRequirements };
  readonly datasources: {
    readonly 'datasources.yaml': { readonly apiVersion: 1; readonly datasources: readonly GrafanaDatasourceValues[] };
  };
  readonly dashboardProviders: {
    readonly 'dashboardproviders.yaml': { readonly apiVersion: 1; readonly providers: GrafanaDashboardProviderValues[] };
  };
  readonly dashboards: Record<string, Record<string, GrafanaDashboardValues>>;
}

/** The values of the `jaeger` chart (v4, Jaeger v2) that the stack sets. */
export interface JaegerValues {
  readonly fullnameOverride: string;
  readonly jaeger: { readonly replicas: number; readonly resources: ResourceRequirements };
  /** Jaeger v2's configuration file (an OpenTelemetry Collector configuration). */
  readonly userconfig: Record<string, unknown>;
}

/** The values of the `kiali-server` chart that the stack sets. */
export interface KialiValues {
  readonly auth: { readonly strategy: string; readonly openid?: { readonly issuer_uri: string; readonly client_id: string } };
  readonly deployment: {
    readonly instance_name: string;
    readonly replicas: number;
    readonly resources: ResourceRequirements;
    readonly cluster_wide_access: boolean;
  };
  readonly server: { readonly port: number; readonly web_root: string };
  readonly external_services: {
    readonly prometheus: { readonly url: string };
    readonly grafana: {
      readonly enabled: boolean;
      readonly internal_url: string;
      /** Where users' browsers open Grafana (Kiali's links); unset, Kiali shows no Grafana links. */
      readonly external_url?: string;
      readonly auth: { readonly type: 'basic'; readonly username: string; readonly password: string };
    };
    /** `internal_url`: Kiali's own trace queries; `external_url`: users' browsers (links), unset for no links. */
    readonly tracing: {
      readonly enabled: boolean;
      readonly provider: 'jaeger';
      readonly internal_url: string;
      readonly external_url?: string;
      readonly use_grpc: boolean;
    };
  };
}

/** Typed values to the HelmComponent's plain record. */
function asValues(values: object): Record<string, unknown> {
  return values as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Props
// ---------------------------------------------------------------------------------------------

/** Prometheus sizing and storage. */
export interface PrometheusOptions {
  /**
   * How long samples are kept. At least 2 hours (one TSDB block).
   * @default Duration.days(15)
   */
  readonly retention?: Duration;
  /**
   * A PersistentVolumeClaim of this size (binary units, at least `1Gi`) for the TSDB; retention by size
   * is then capped at 90 % of it.
   * @default - no persistence (emptyDir): data is lost when the pod moves
   */
  readonly storageSize?: string;
  /**
   * StorageClass of the claim.
   * @default - the cluster's default StorageClass
   */
  readonly storageClass?: string;
  /**
   * Prometheus replicas (always a StatefulSet, so a change of replicas keeps the volumes; each replica scrapes everything).
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Requests and limits of the server container.
   * @default - 100m/512Mi requested, 1 CPU/2Gi limit
   */
  readonly resources?: ResourceRequirements;
  /**
   * Requests and limits of the config reloader container beside each server (`configmapReload.prometheus`).
   * @default - 10m/32Mi requested, 100m/64Mi limit
   */
  readonly configReloaderResources?: ResourceRequirements;
  /**
   * Scrape and rule evaluation interval.
   * @default Duration.seconds(15) (what Istio's dashboards assume)
   */
  readonly scrapeInterval?: Duration;
}

/** Alerting: thresholds, receiver, Alertmanager sizing. */
export interface AlertingOptions {
  /**
   * Where notifications go.
   * @default - no notification: alerts are visible in Alertmanager only
   */
  readonly receiver?: AlertReceiver;
  /**
   * P99 latency above which a service alerts.
   * @default Duration.millis(200) (scenario S8)
   */
  readonly latencyThreshold?: Duration;
  /**
   * Share of 5xx responses above which a service alerts, between 0 and 1 exclusive.
   * @default 0.01 (1 %)
   */
  readonly errorRatioThreshold?: number;
  /**
   * Alertmanager replicas (they gossip to deduplicate).
   * @default 1
   */
  readonly alertmanagerReplicas?: number;
  /**
   * A PersistentVolumeClaim of this size for Alertmanager's silences and notification log.
   * @default - no persistence
   */
  readonly alertmanagerStorageSize?: string;
  /**
   * Requests and limits of each Alertmanager.
   * @default - 10m/32Mi requested, 200m/128Mi limit
   */
  readonly alertmanagerResources?: ResourceRequirements;
}

/** Grafana options. */
export interface GrafanaOptions {
  /**
   * The Secret holding the admin credentials (created outside Git).
   * @default - Secret `grafana-admin`, keys `admin-user` and `admin-password`
   */
  readonly adminSecret?: GrafanaAdminSecret;
  /**
   * The URL users' browsers reach Grafana at (through an Ingress, a gateway host, or
   * `http://localhost:3000` behind `kubectl port-forward`): Kiali's links to Grafana's dashboards. Kiali's
   * own queries to Grafana keep using the in-cluster {@link ObservabilityStack.grafanaUrl}.
   * @default - none: Kiali shows no Grafana links (an in-cluster URL would be a link no browser can open)
   */
  readonly externalUrl?: string;
  /**
   * Requests and limits.
   * @default - 50m/128Mi requested, 500m/512Mi limit
   */
  readonly resources?: ResourceRequirements;
}

/** Jaeger options. */
export interface JaegerOptions {
  /**
   * Traces kept in memory; the oldest are evicted beyond it.
   * @default 50000
   */
  readonly maxTraces?: number;
  /**
   * The URL users' browsers reach the Jaeger UI at: Kiali's "view in tracing" links. Kiali's own trace
   * queries keep using the in-cluster {@link ObservabilityStack.jaegerQueryUrl}.
   * @default - none: Kiali shows the traces it queries, without links to the Jaeger UI
   */
  readonly externalUrl?: string;
  /**
   * Requests and limits.
   * @default - 100m/256Mi requested, 1 CPU/1Gi limit
   */
  readonly resources?: ResourceRequirements;
}

/** Kiali options. */
export interface KialiOptions {
  /**
   * How users log in.
   * @default KialiAuth.token()
   */
  readonly auth?: KialiAuth;
  /**
   * Replicas.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Requests and limits.
   * @default - 10m/64Mi requested, 500m/1Gi limit
   */
  readonly resources?: ResourceRequirements;
}

/** The mesh-wide `Telemetry` the stack can render when it is used alone. */
export interface MeshTelemetryOptions {
  /** Percentage of requests traced, 0 to 100. */
  readonly samplingPercentage: number;
  /** Envoy access logs to the proxies' stdout. */
  readonly accessLogging: boolean;
}

/**
 * The mesh-wide default `Telemetry` (`mesh-default`, no selector, in Istio's root namespace): traces sampled
 * into `tracingProvider` (an extension provider the Istio installation declares) and access logs through
 * Istio's built-in `envoy` provider. One definition for the platform's MeshConfigChart and the stack used alone.
 */
export function meshDefaultTelemetry(
  scope: Construct,
  id: string,
  props: MeshTelemetryOptions & { readonly rootNamespace: string; readonly tracingProvider: string },
): Telemetry {
  return new Telemetry(scope, id, {
    metadata: { name: 'mesh-default', namespace: props.rootNamespace },
    spec: {
      tracing: [{ providers: [{ name: props.tracingProvider }], randomSamplingPercentage: props.samplingPercentage }],
      accessLogging: [{ providers: [{ name: 'envoy' }], disabled: !props.accessLogging }],
    },
  });
}

/** Properties of an {@link ObservabilityStack}. */
export interface ObservabilityStackProps {
  /**
   * The namespace every component installs into.
   * @default OBSERVABILITY_NAMESPACE ('observability')
   */
  readonly namespace?: string;
  /**
   * Declare the namespace (sidecar injection disabled: Prometheus scrapes pods directly, and the
   * stack's components need no mesh identity).
   * @default true
   */
  readonly createNamespace?: boolean;
  /**
   * Istio's root namespace (istiod, mesh-wide policy).
   * @default 'istio-system'
   */
  readonly istioNamespace?: string;
  /**
   * Prometheus sizing and storage.
   * @default - 15 days in memory-backed emptyDir, 1 replica
   */
  readonly prometheus?: PrometheusOptions;
  /**
   * Alert thresholds and routing.
   * @default - S8 thresholds (P99 200 ms, 1 % 5xx), no notification receiver
   */
  readonly alerting?: AlertingOptions;
  /**
   * Grafana options.
   * @default - admin credentials from Secret `grafana-admin`
   */
  readonly grafana?: GrafanaOptions;
  /**
   * Jaeger options.
   * @default - 50000 traces in memory
   */
  readonly jaeger?: JaegerOptions;
  /**
   * Kiali options.
   * @default - token login
   */
  readonly kiali?: KialiOptions;
  /**
   * Render the mesh-wide `Telemetry` (`mesh-default` in the Istio root namespace) that sends spans to
   * this stack's Jaeger. Leave unset when something else owns it (the platform's MeshConfigChart does).
   * @default - no Telemetry
   */
  readonly meshTelemetry?: MeshTelemetryOptions;
}

const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const ALERT_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const STORAGE_SIZE = /^([1-9][0-9]*)(Gi|Ti)$/;
const ALERTMANAGER_SECRETS_PATH = '/etc/alertmanager/secrets';

/**
 * Observability for an Istio mesh: Prometheus (scraping sidecars', gateways' and istiod's metrics,
 * with the mesh alert rules and Alertmanager), Grafana (Prometheus and Jaeger datasources, Istio's and
 * Flagger's dashboards), Jaeger (the tracing backend the proxies report to) and Kiali (wired to all
 * three). Every component is a pinned upstream chart installed through {@link HelmComponent}.
 *
 * Usable alone in any chart (a team that already runs Istio) or inside the platform.
 */
export class ObservabilityStack extends Construct {
  /** The namespace of every component. */
  readonly namespace: string;
  /** Prometheus' query URL: Flagger's `metricsServer`, Grafana's and Kiali's Prometheus. */
  readonly prometheusUrl: string;
  /** Grafana's in-cluster URL. */
  readonly grafanaUrl: string;
  /** The Jaeger query (UI and API) in-cluster URL. */
  readonly jaegerQueryUrl: string;
  /** Kiali's in-cluster UI URL (under {@link KIALI_WEB_ROOT}). */
  readonly kialiUrl: string;
  /** The extension provider the Istio installation must declare for spans to reach this Jaeger. */
  readonly tracingProvider: TracingProvider;
  /** Prometheus' identity, for policies that must let it scrape the sidecars. */
  readonly prometheusIdentity: PrometheusIdentity;
  /** The Prometheus release (server + Alertmanager). */
  readonly prometheus: HelmComponent;
  /** The Grafana release. */
  readonly grafana: HelmComponent;
  /** The Jaeger release. */
  readonly jaeger: HelmComponent;
  /** The Kiali release. */
  readonly kiali: HelmComponent;
  /** The namespace object, when {@link ObservabilityStackProps.createNamespace} is true. */
  readonly meshNamespace?: MeshNamespace;
  /** The mesh-wide Telemetry, when {@link ObservabilityStackProps.meshTelemetry} is set. */
  readonly meshTelemetry?: Telemetry;

  private readonly rules: PrometheusRuleValues[] = [];
  private readonly ruleNames = new Set<string>();
  private readonly dashboardProviders: GrafanaDashboardProviderValues[] = [];
  private readonly dashboards: Record<string, Record<string, GrafanaDashboardValues>> = {};

  constructor(scope: Construct, id: string, props: ObservabilityStackProps = {}) {
    super(scope, id);
    const fail = (message: string): never => invalid('ObservabilityStack', this, message);
    this.namespace = props.namespace ?? OBSERVABILITY_NAMESPACE;
    const istioNamespace = props.istioNamespace ?? ISTIO_SYSTEM_NAMESPACE;
    if (!DNS_LABEL.test(this.namespace))
      fail(`namespace '${this.namespace}' is not a DNS-1123 label; use e.g. '${OBSERVABILITY_NAMESPACE}'`);
    if (!DNS_LABEL.test(istioNamespace)) fail(`istioNamespace '${istioNamespace}' is not a DNS-1123 label; use e.g. 'istio-system'`);

    const svc = OBSERVABILITY_SERVICES;
    this.prometheusUrl = prometheusUrl(this.namespace);
    this.grafanaUrl = `http://${serviceHost(svc.grafana.name, this.namespace)}:${svc.grafana.port}`;
    this.jaegerQueryUrl = `http://${serviceHost(svc.jaegerQuery.name, this.namespace)}:${svc.jaegerQuery.port}`;
    this.kialiUrl = `http://${serviceHost(svc.kiali.name, this.namespace)}:${svc.kiali.port}${KIALI_WEB_ROOT}`;
    this.tracingProvider = jaegerTracingProvider(this.namespace);
    this.prometheusIdentity = prometheusIdentity(this.namespace);

    if (props.createNamespace ?? true) {
      this.meshNamespace = new MeshNamespace(this, 'namespace', {
        name: this.namespace,
        sidecarInjection: false,
        labels: { 'app.kubernetes.io/part-of': 'observability' },
      });
    }

    this.prometheus = this.installPrometheus(props.prometheus ?? {}, props.alerting ?? {}, istioNamespace, fail);
    this.jaeger = this.installJaeger(props.jaeger ?? {}, fail);
    const adminSecret = props.grafana?.adminSecret ?? { name: 'grafana-admin' };
    this.grafana = this.installGrafana(props.grafana ?? {}, adminSecret, fail);
    this.kiali = this.installKiali(props.kiali ?? {}, props.grafana ?? {}, adminSecret, props.jaeger ?? {}, fail);
    this.declareSecrets(adminSecret, props.alerting?.receiver, props.kiali?.auth ?? KialiAuth.token());

    const alerting = props.alerting ?? {};
    const latency = alerting.latencyThreshold ?? Duration.millis(200);
    if (latency.toMilliseconds() <= 0)
      fail(`alerting.latencyThreshold must be positive, got ${latency.toMilliseconds()} ms; use e.g. Duration.millis(200)`);
    const ratio = alerting.errorRatioThreshold ?? 0.01;
    if (!(ratio > 0 && ratio < 1))
      fail(`alerting.errorRatioThreshold ${ratio} is not a ratio between 0 and 1 exclusive; use e.g. 0.01 for 1 %`);
    for (const rule of [
      AlertRule.p99LatencyAbove(latency),
      AlertRule.errorRatioAbove(ratio),
      AlertRule.canaryFailed(),
      AlertRule.istiodDown(),
      AlertRule.sidecarInjectionFailing(),
    ]) {
      this.addAlertRule(rule);
    }
    for (const dashboard of [...ISTIO_DASHBOARDS, FLAGGER_CANARY_DASHBOARD]) this.addDashboard(dashboard);

    if (props.meshTelemetry) {
      const { samplingPercentage, accessLogging } = props.meshTelemetry;
      if (!(samplingPercentage >= 0 && samplingPercentage <= 100))
        fail(
          `meshTelemetry.samplingPercentage ${samplingPercentage} is not a percentage; use 0 to 100 (e.g. 100 in development, 1 in production)`,
        );
      this.meshTelemetry = meshDefaultTelemetry(this, 'mesh-default-telemetry', {
        rootNamespace: istioNamespace,
        tracingProvider: this.tracingProvider.name,
        samplingPercentage,
        accessLogging,
      });
    }
  }

  /** Every alerting rule, in the order added. */
  get alertRules(): readonly PrometheusRuleValues[] {
    return this.rules;
  }

  /**
   * Adds an alerting rule to Prometheus' rule file. Throws if a rule with the same alert name exists.
   * @returns the rule as rendered
   */
  addAlertRule(rule: AlertRule): PrometheusRuleValues {
    const fail = (message: string): never => invalid('ObservabilityStack', this, message);
    if (!ALERT_NAME.test(rule.name))
      fail(`alert name '${rule.name}' is not a Prometheus identifier; use letters, digits and '_' such as 'CheckoutLatencyHigh'`);
    if (this.ruleNames.has(rule.name)) fail(`alert '${rule.name}' is defined twice; give each rule its own name`);
    if (rule.expr.trim() === '') fail(`alert '${rule.name}' has an empty expression; give the PromQL condition that fires it`);
    const rendered: PrometheusRuleValues = {
      alert: rule.name,
      expr: rule.expr,
      for: promDuration(rule.for),
      labels: { severity: rule.severity.name },
      annotations: { summary: rule.summary },
    };
    this.ruleNames.add(rule.name);
    this.rules.push(rendered);
    return rendered;
  }

  /**
   * Provisions a dashboard in Grafana (its folder gets a file provider). Throws on a duplicate name in a folder.
   * @returns the dashboard entry as rendered
   */
  addDashboard(dashboard: GrafanaDashboard): GrafanaDashboardValues {
    const fail = (message: string): never => invalid('ObservabilityStack', this, message);
    if (!DNS_LABEL.test(dashboard.name)) fail(`dashboard name '${dashboard.name}' is not a DNS-1123 label; use e.g. 'istio-mesh'`);
    if (!DNS_LABEL.test(dashboard.folder)) fail(`dashboard folder '${dashboard.folder}' is not a DNS-1123 label; use e.g. 'istio'`);
    const source = dashboard.source;
    if ('url' in source) {
      if (!/^https:\/\/\S+$/.test(source.url))
        fail(`dashboard '${dashboard.name}' URL '${source.url}' must be https://; pin it to a tag or commit`);
    } else if (!Number.isInteger(source.gnetId) || source.gnetId < 1 || !Number.isInteger(source.revision) || source.revision < 1) {
      fail(
        `dashboard '${dashboard.name}' gnetId ${source.gnetId} / revision ${source.revision} must be positive integers; pin the grafana.com revision`,
      );
    }
    let folder = this.dashboards[dashboard.folder];
    if (!folder) {
      folder = this.dashboards[dashboard.folder] = {};
      this.dashboardProviders.push({
        name: dashboard.folder,
        orgId: 1,
        folder: dashboard.folder,
        type: 'file',
        disableDeletion: true,
        editable: false,
        options: { path: `/var/lib/grafana/dashboards/${dashboard.folder}` },
      });
    }
    if (folder[dashboard.name]) fail(`dashboard '${dashboard.name}' is provisioned twice in folder '${dashboard.folder}'; keep one`);
    const entry: GrafanaDashboardValues = { ...source, datasource: 'Prometheus' };
    folder[dashboard.name] = entry;
    return entry;
  }

  /**
   * The Secrets the stack reads and never generates (credentials stay out of Git), declared with
   * {@link requireSecret} so that the environment's output lists them.
   */
  private declareSecrets(adminSecret: GrafanaAdminSecret, receiver: AlertReceiver | undefined, auth: KialiAuth): void {
    const [userKey, passwordKey] = [adminSecret.userKey ?? 'admin-user', adminSecret.passwordKey ?? 'admin-password'];
    const admin = {
      name: adminSecret.name,
      namespace: this.namespace,
      keys: [userKey, passwordKey],
      exampleValues: { [userKey]: 'admin', [passwordKey]: '"$(openssl rand -base64 24)"' },
    };
    requireSecret(this.grafana, {
      ...admin,
      purpose: "Grafana's admin login",
      whenMissing:
        'Grafana does not start (the chart reads both keys into its environment), so its release and layer never become ready and every later layer waits',
    });
    requireSecret(this.kiali, {
      ...admin,
      purpose: 'the credentials Kiali signs in to Grafana with',
      whenMissing: 'Kiali does not start (the chart mounts both keys)',
    });
    if (receiver) {
      const { name, key } = receiver.webhookSecret;
      requireSecret(this.prometheus, {
        name,
        namespace: this.namespace,
        keys: [key],
        purpose: `the ${receiver.kind === ChatService.SLACK ? 'Slack' : 'Teams'} webhook URL Alertmanager sends the mesh alerts to`,
        whenMissing:
          'Alertmanager still starts (the Secret volume is optional) and shows the alerts; notifications fail, logged, until the Secret exists',
        optional: true,
        exampleValues: {
          [key]:
            receiver.kind === ChatService.SLACK
              ? 'https://hooks.slack.com/services/REPLACE/WITH/YOURS'
              : 'https://REPLACE.webhook.office.com/WITH/YOURS',
        },
      });
    }
    if (auth.strategy === 'openid') {
      requireSecret(this.kiali, {
        name: 'kiali',
        namespace: this.namespace,
        keys: ['oidc-secret'],
        purpose: "Kiali's OpenID Connect client secret",
        whenMissing: 'Kiali starts (the chart mounts it optionally) but nobody can log in',
      });
    }
  }

  private installPrometheus(
    options: PrometheusOptions,
    alerting: AlertingOptions,
    istioNamespace: string,
    fail: (m: string) => never,
  ): HelmComponent {
    const retention = options.retention ?? Duration.days(15);
    if (retention.toSeconds() < 2 * 3600)
      fail(`prometheus.retention ${promDuration(retention)} is shorter than one TSDB block (2h); use at least Duration.hours(2)`);
    const replicas = options.replicas ?? 1;
    checkReplicas('prometheus.replicas', replicas, fail);
    const storage = options.storageSize === undefined ? undefined : checkStorage('prometheus.storageSize', options.storageSize, fail);
    const alertmanagerStorage =
      alerting.alertmanagerStorageSize === undefined
        ? undefined
        : checkStorage('alerting.alertmanagerStorageSize', alerting.alertmanagerStorageSize, fail);
    const alertmanagerReplicas = alerting.alertmanagerReplicas ?? 1;
    checkReplicas('alerting.alertmanagerReplicas', alertmanagerReplicas, fail);
    const interval = promDuration(options.scrapeInterval ?? Duration.seconds(15));

    const receiver = alerting.receiver;
    if (receiver) {
      const { name, key } = receiver.webhookSecret;
      if (!DNS_LABEL.test(name)) fail(`alert webhook Secret name '${name}' is not a DNS-1123 label; use e.g. 'alertmanager-slack'`);
      if (!SECRET_KEY.test(key))
        fail(`alert webhook Secret key '${key}' is not a valid Secret key; use letters, digits, '-', '_' or '.' such as 'webhook-url'`);
      if (receiver.channel !== undefined && !/^[#@]?[-_a-z0-9.]{1,80}$/.test(receiver.channel))
        fail(`Slack channel '${receiver.channel}' is not a channel name; use e.g. '#mesh-alerts'`);
    }
    const webhookFile = receiver ? `${ALERTMANAGER_SECRETS_PATH}/${receiver.webhookSecret.name}/${receiver.webhookSecret.key}` : undefined;
    const receiverConfig: Record<string, unknown> & { name: string } = { name: 'platform' };
    if (receiver?.kind === ChatService.SLACK)
      receiverConfig.slack_configs = [{ api_url_file: webhookFile, channel: receiver.channel, send_resolved: true }];
    if (receiver?.kind === ChatService.TEAMS) receiverConfig.msteamsv2_configs = [{ webhook_url_file: webhookFile, send_resolved: true }];

    const istiodJob = {
      job_name: 'istiod',
      kubernetes_sd_configs: [{ role: 'endpoints', namespaces: { names: [istioNamespace] } }],
      relabel_configs: [
        {
          source_labels: ['__meta_kubernetes_service_name', '__meta_kubernetes_endpoint_port_name'],
          action: 'keep',
          regex: 'istiod;http-monitoring',
        },
      ],
    };

    const values: PrometheusValues = {
      serviceAccounts: { server: { name: prometheusIdentity(this.namespace).serviceAccount } },
      server: {
        fullnameOverride: OBSERVABILITY_SERVICES.prometheus.name,
        replicaCount: replicas,
        // Always a StatefulSet (one volume per replica), whatever the replica count: switching kinds when replicas go
        // from 1 to 2 would replace the Deployment's volume by new ones and lose the metric history. Replicas spread over nodes.
        statefulSet: { enabled: true },
        podAntiAffinity: spreadWhenReplicated(replicas),
        retention: promDuration(retention),
        retentionSize: storage ? `${Math.floor(storage.gib * 0.9)}GB` : undefined,
        persistentVolume: storage ? { enabled: true, size: options.storageSize, storageClass: options.storageClass } : { enabled: false },
        resources: checkResources(
          'prometheus.resources',
          options.resources ?? { requests: { cpu: '100m', memory: '512Mi' }, limits: { cpu: '1', memory: '2Gi' } },
          fail,
        ),
        global: { scrape_interval: interval, evaluation_interval: interval },
        service: { servicePort: OBSERVABILITY_SERVICES.prometheus.port },
      },
      configmapReload: {
        prometheus: {
          resources: checkResources(
            'prometheus.configReloaderResources',
            options.configReloaderResources ?? { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
            fail,
          ),
        },
      },
      serverFiles: { 'alerting_rules.yml': { groups: [{ name: 'mesh', rules: this.rules }] } },
      extraScrapeConfigs: YAML.stringify([istiodJob]),
      alertmanager: {
        enabled: true,
        replicaCount: alertmanagerReplicas,
        resources: checkResources(
          'alerting.alertmanagerResources',
          alerting.alertmanagerResources ?? { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
          fail,
        ),
        podAntiAffinity: spreadWhenReplicated(alertmanagerReplicas),
        persistence: alertmanagerStorage ? { enabled: true, size: alerting.alertmanagerStorageSize } : { enabled: false },
        // Chat alerts are optional: an optional volume lets Alertmanager start without the Secret (it reads
        // the URL file at each notification, so sending resumes once the Secret exists); a required one would
        // keep the pod from starting and the whole layer from becoming ready.
        extraSecretMounts: receiver
          ? [
              {
                name: 'alert-webhook',
                secretName: receiver.webhookSecret.name,
                mountPath: `${ALERTMANAGER_SECRETS_PATH}/${receiver.webhookSecret.name}`,
                readOnly: true,
                optional: true,
              },
            ]
          : [],
        config: {
          global: { resolve_timeout: '5m' },
          route: {
            receiver: 'platform',
            group_by: ['alertname', 'destination_service_namespace', 'destination_service_name'],
            group_wait: '30s',
            group_interval: '5m',
            repeat_interval: '4h',
          },
          receivers: [receiverConfig],
        },
      },
      'kube-state-metrics': { enabled: false },
      'prometheus-node-exporter': { enabled: false },
      'prometheus-pushgateway': { enabled: false },
    };
    const c = OBSERVABILITY_CHARTS.prometheus;
    return new HelmComponent(this, 'prometheus', { ...c, namespace: this.namespace, values: asValues(values) });
  }

  private installJaeger(options: JaegerOptions, fail: (m: string) => never): HelmComponent {
    const maxTraces = options.maxTraces ?? 50000;
    if (!Number.isInteger(maxTraces) || maxTraces < 1000)
      fail(`jaeger.maxTraces ${maxTraces} must be an integer of at least 1000; use e.g. 10000 in development`);
    if (options.externalUrl !== undefined) checkExternalUrl('jaeger.externalUrl', options.externalUrl, fail);
    const store = 'memstore';
    const values: JaegerValues = {
      fullnameOverride: OBSERVABILITY_SERVICES.jaegerQuery.name,
      jaeger: {
        replicas: 1,
        resources: checkResources(
          'jaeger.resources',
          options.resources ?? { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
          fail,
        ),
      },
      userconfig: {
        service: {
          extensions: ['jaeger_storage', 'jaeger_query', 'healthcheckv2'],
          pipelines: { traces: { receivers: ['otlp', 'zipkin'], processors: ['batch'], exporters: ['jaeger_storage_exporter'] } },
          telemetry: {
            resource: { 'service.name': 'jaeger' },
            metrics: { level: 'detailed', readers: [{ pull: { exporter: { prometheus: { host: '0.0.0.0', port: 8888 } } } }] },
          },
        },
        extensions: {
          healthcheckv2: { use_v2: true, http: { endpoint: '0.0.0.0:13133' } },
          jaeger_storage: { backends: { [store]: { memory: { max_traces: maxTraces } } } },
          jaeger_query: {
            storage: { traces: store },
            http: { endpoint: `0.0.0.0:${OBSERVABILITY_SERVICES.jaegerQuery.port}` },
            grpc: { endpoint: '0.0.0.0:16685' },
          },
        },
        receivers: {
          otlp: {
            protocols: { grpc: { endpoint: `0.0.0.0:${OBSERVABILITY_SERVICES.jaegerOtlpGrpc.port}` }, http: { endpoint: '0.0.0.0:4318' } },
          },
          zipkin: { endpoint: '0.0.0.0:9411' },
        },
        processors: { batch: {} },
        exporters: { jaeger_storage_exporter: { trace_storage: store } },
      },
    };
    const c = OBSERVABILITY_CHARTS.jaeger;
    return new HelmComponent(this, 'jaeger', { ...c, namespace: this.namespace, values: asValues(values) });
  }

  private installGrafana(options: GrafanaOptions, adminSecret: GrafanaAdminSecret, fail: (m: string) => never): HelmComponent {
    if (!DNS_LABEL.test(adminSecret.name))
      fail(`grafana.adminSecret name '${adminSecret.name}' is not a DNS-1123 label; use e.g. 'grafana-admin'`);
    for (const key of [adminSecret.userKey, adminSecret.passwordKey]) {
      if (key !== undefined && !SECRET_KEY.test(key))
        fail(`grafana.adminSecret key '${key}' is not a valid Secret key; use e.g. 'admin-password'`);
    }
    if (options.externalUrl !== undefined) checkExternalUrl('grafana.externalUrl', options.externalUrl, fail);
    const values: GrafanaValues = {
      fullnameOverride: OBSERVABILITY_SERVICES.grafana.name,
      replicas: 1,
      admin: {
        existingSecret: adminSecret.name,
        userKey: adminSecret.userKey ?? 'admin-user',
        passwordKey: adminSecret.passwordKey ?? 'admin-password',
      },
      service: { port: OBSERVABILITY_SERVICES.grafana.port },
      persistence: { enabled: false },
      testFramework: { enabled: false },
      resources: checkResources(
        'grafana.resources',
        options.resources ?? { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
        fail,
      ),
      // A curl per dashboard before Grafana starts: an init container, so it adds nothing to the pod's steady requests.
      downloadDashboards: { resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '200m', memory: '128Mi' } } },
      datasources: {
        'datasources.yaml': {
          apiVersion: 1,
          datasources: [
            {
              name: 'Prometheus',
              uid: 'prometheus',
              type: 'prometheus',
              access: 'proxy',
              url: this.prometheusUrl,
              isDefault: true,
              editable: false,
            },
            { name: 'Jaeger', uid: 'jaeger', type: 'jaeger', access: 'proxy', url: this.jaegerQueryUrl, isDefault: false, editable: false },
          ],
        },
      },
      dashboardProviders: { 'dashboardproviders.yaml': { apiVersion: 1, providers: this.dashboardProviders } },
      dashboards: this.dashboards,
    };
    const c = OBSERVABILITY_CHARTS.grafana;
    return new HelmComponent(this, 'grafana', { ...c, namespace: this.namespace, values: asValues(values) });
  }

  private installKiali(
    options: KialiOptions,
    grafana: GrafanaOptions,
    adminSecret: GrafanaAdminSecret,
    jaeger: JaegerOptions,
    fail: (m: string) => never,
  ): HelmComponent {
    const auth = options.auth ?? KialiAuth.token();
    if (auth.strategy === 'openid') {
      checkUrl('kiali.auth issuerUri', auth.issuerUri ?? '', fail, true);
      if (!auth.clientId) fail('kiali.auth OpenID clientId is empty; give the client id registered at the issuer');
    }
    const replicas = options.replicas ?? 1;
    checkReplicas('kiali.replicas', replicas, fail);
    // No istio_namespace nor external_services.istio.root_namespace: the Kiali server reads neither (since
    // v2.16 it discovers each control plane and its root namespace); the chart's own copy is ignored too.
    const values: KialiValues = {
      auth:
        auth.strategy === 'openid'
          ? { strategy: 'openid', openid: { issuer_uri: auth.issuerUri!, client_id: auth.clientId! } }
          : { strategy: auth.strategy },
      deployment: {
        instance_name: OBSERVABILITY_SERVICES.kiali.name,
        replicas,
        cluster_wide_access: true,
        resources: checkResources(
          'kiali.resources',
          options.resources ?? { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '500m', memory: '1Gi' } },
          fail,
        ),
      },
      server: { port: OBSERVABILITY_SERVICES.kiali.port, web_root: KIALI_WEB_ROOT },
      external_services: {
        prometheus: { url: this.prometheusUrl },
        grafana: {
          enabled: true,
          internal_url: this.grafanaUrl,
          // Kiali queries Grafana server-side at internal_url; the browser follows external_url (no link without one).
          external_url: grafana.externalUrl,
          // `secret:<name>:<key>`: the kiali-server chart mounts that key of the Secret (in Kiali's namespace)
          // into the pod and Kiali reads the credential from the file; the values hold no credential.
          auth: {
            type: 'basic',
            username: `secret:${adminSecret.name}:${adminSecret.userKey ?? 'admin-user'}`,
            password: `secret:${adminSecret.name}:${adminSecret.passwordKey ?? 'admin-password'}`,
          },
        },
        tracing: {
          enabled: true,
          provider: 'jaeger',
          internal_url: this.jaegerQueryUrl,
          external_url: jaeger.externalUrl,
          use_grpc: false,
        },
      },
    };
    const c = OBSERVABILITY_CHARTS.kiali;
    return new HelmComponent(this, 'kiali', { ...c, namespace: this.namespace, values: asValues(values) });
  }
}

/** A Prometheus duration (`15d`, `6h`, `30s`, `200ms`): the largest unit that divides it exactly. */
function promDuration(d: Duration): string {
  return formatDuration(d, { units: ['d', 'h', 'm', 's'], compound: false });
}

/** Requests and limits as given, after the rules every container of the platform follows (request <= limit, valid quantities). */
function checkResources(what: string, resources: ResourceRequirements, fail: (m: string) => never): ResourceRequirements {
  parseResources(resources, (message) => fail(`${what}: ${message}`));
  return resources;
}

/** The charts' `podAntiAffinity`: prefer one replica per node when there are several. */
function spreadWhenReplicated(replicas: number): 'soft' | undefined {
  return replicas > 1 ? 'soft' : undefined;
}

function checkReplicas(what: string, n: number, fail: (m: string) => never): void {
  if (!Number.isInteger(n) || n < 1 || n > 5) fail(`${what} ${n} is not allowed; use an integer from 1 to 5`);
}

function checkStorage(what: string, size: string, fail: (m: string) => never): { gib: number } {
  const m = STORAGE_SIZE.exec(size);
  if (!m) return fail(`${what} '${size}' is not a volume size in Gi or Ti; use e.g. '50Gi'`);
  return { gib: Number(m[1]) * (m[2] === 'Ti' ? 1024 : 1) };
}

/**
 * A URL users' browsers open (Kiali's links to Grafana and Jaeger): http(s), and not an in-cluster Service
 * address, which no browser outside the cluster resolves.
 */
function checkExternalUrl(what: string, url: string, fail: (m: string) => never): void {
  checkUrl(what, url, fail);
  const host = /^https?:\/\/([^/:?#]+)/.exec(url)?.[1] ?? '';
  if (/\.svc(\.cluster\.local)?\.?$/.test(host) || /\.cluster\.local\.?$/.test(host)) {
    fail(
      `${what} '${url}' is an in-cluster address a browser cannot open; give the URL users reach it at (an Ingress or gateway host, or http://localhost:<port> behind kubectl port-forward), or leave it unset for no link`,
    );
  }
}

function checkUrl(what: string, url: string, fail: (m: string) => never, httpsOnly = false): void {
  const ok = httpsOnly ? /^https:\/\/\S+$/.test(url) : /^https?:\/\/\S+$/.test(url);
  if (!ok)
    fail(
      `${what} '${url}' is not an ${httpsOnly ? 'https://' : 'http(s)://'} URL; use e.g. 'https://${what.startsWith('kiali') ? 'login.example.com/realms/mesh' : 'grafana.example.com'}'`,
    );
}
