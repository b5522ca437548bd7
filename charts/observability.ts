import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { AlertReceiver, DurationSyntax, invalid, KialiAuth, ObservabilityStack, ResourceRequirements } from '../constructs';
import { Layer, LayerChart } from './layer';
import { ISTIO_ROOT_NAMESPACE } from './mesh-config';

/** The environment's observability settings (the `mesh:observability` section). */
export interface ObservabilityChartProps {
  /** The environment's tier: production forbids anonymous Kiali and Prometheus without persistence. */
  readonly tier: 'development' | 'staging' | 'production';
  /** Namespace of the stack. */
  readonly namespace: string;
  /** Prometheus sizing. */
  readonly prometheus: {
    /** Retention such as `6h`, `15d`, `4w`. */
    readonly retention: string;
    /**
     * Volume size.
     * @default - no persistence
     */
    readonly storageSize?: string;
    /** Replicas. */
    readonly replicas: number;
    /** Requests and limits. */
    readonly resources: ResourceRequirements;
  };
  /** Alertmanager sizing. */
  readonly alertmanager: {
    /** Replicas. */
    readonly replicas: number;
    /**
     * Requests and limits.
     * @default - the stack's (10m/32Mi requested, 200m/128Mi limit)
     */
    readonly resources?: ResourceRequirements;
    /**
     * Volume size.
     * @default - no persistence
     */
    readonly storageSize?: string;
  };
  /** Grafana settings. */
  readonly grafana: {
    /** Secret with keys admin-user and admin-password. */
    readonly adminSecret: string;
    /**
     * Requests and limits.
     * @default - the stack's (50m/128Mi requested, 500m/512Mi limit)
     */
    readonly resources?: ResourceRequirements;
    /**
     * Where users' browsers reach Grafana: Kiali's links.
     * @default - no Grafana links in Kiali
     */
    readonly externalUrl?: string;
  };
  /** Jaeger sizing. */
  readonly jaeger: {
    /** Traces kept in memory. */
    readonly maxTraces: number;
    /**
     * Requests and limits.
     * @default - the stack's (100m/256Mi requested, 1 CPU/1Gi limit)
     */
    readonly resources?: ResourceRequirements;
    /**
     * Where users' browsers reach the Jaeger UI: Kiali's links.
     * @default - no Jaeger links in Kiali
     */
    readonly externalUrl?: string;
  };
  /** Kiali login. */
  readonly kiali: {
    /** Strategy. */
    readonly auth: 'anonymous' | 'token' | 'openid';
    /**
     * Requests and limits.
     * @default - the stack's (10m/64Mi requested, 500m/1Gi limit)
     */
    readonly resources?: ResourceRequirements;
    /**
     * OpenID issuer and client (openid only).
     * @default - none; required when `auth` is openid
     */
    readonly openId?: { readonly issuerUri: string; readonly clientId: string };
  };
  /** Alert routing and thresholds. */
  readonly alerts: {
    /** Chat service (`mesh:observability.alerts.receiver`: `slack`, `teams`), or `none`. */
    readonly receiver: 'slack' | 'teams' | 'none';
    /** Secret holding the webhook URL. */
    readonly webhookSecret: string;
    /** Key of the webhook URL in the Secret. */
    readonly webhookSecretKey: string;
    /**
     * Slack channel.
     * @default - the webhook's own channel
     */
    readonly channel?: string;
    /** P99 latency threshold in milliseconds. */
    readonly latencyP99Ms: number;
    /** 5xx percentage threshold. */
    readonly errorRatePercent: number;
  };
}

/**
 * The platform's observability (Layer PLATFORM): one {@link ObservabilityStack} sized for the
 * environment. The mesh-wide Telemetry stays in the MeshConfigChart (keys `mesh:istio.tracingSampling`
 * and `accessLogging`), which points its tracing at the stack's Jaeger provider.
 */
export class ObservabilityChart extends LayerChart {
  /** The stack: Prometheus, Grafana, Jaeger, Kiali and the alert rules. */
  readonly stack: ObservabilityStack;

  constructor(scope: Construct, id: string, props: ObservabilityChartProps) {
    super(scope, id, { layer: Layer.PLATFORM, namespace: props.namespace });
    if (props.tier === 'production') {
      if (props.kiali.auth === 'anonymous') {
        invalid(
          'ObservabilityChart',
          this,
          "Kiali auth 'anonymous' is not allowed in production (anyone reaching Kiali could read the whole mesh); set mesh:observability.kiali.auth to token or openid",
        );
      }
      if (props.prometheus.storageSize === undefined) {
        invalid(
          'ObservabilityChart',
          this,
          'Prometheus without persistence is not allowed in production (metrics and alert history are lost on every reschedule); set mesh:observability.prometheus.storageSize, e.g. 50Gi',
        );
      }
    }
    if (props.kiali.auth === 'openid' && !props.kiali.openId) {
      invalid('ObservabilityChart', this, 'Kiali auth openid needs mesh:observability.kiali.openId (issuerUri and clientId)');
    }
    if (props.alerts.receiver === 'teams' && props.alerts.channel !== undefined) {
      invalid(
        'ObservabilityChart',
        this,
        `alerts channel '${props.alerts.channel}' only applies to Slack; remove it for Teams (the Teams workflow decides the channel)`,
      );
    }

    const webhookSecret = { name: props.alerts.webhookSecret, key: props.alerts.webhookSecretKey };
    const receiver =
      props.alerts.receiver === 'slack'
        ? AlertReceiver.slack({ webhookSecret, channel: props.alerts.channel })
        : props.alerts.receiver === 'teams'
          ? AlertReceiver.teams({ webhookSecret })
          : undefined;
    const auth =
      props.kiali.auth === 'anonymous'
        ? KialiAuth.anonymous()
        : props.kiali.auth === 'token'
          ? KialiAuth.token()
          : KialiAuth.openId(props.kiali.openId!);

    this.stack = new ObservabilityStack(this, 'stack', {
      namespace: props.namespace,
      // Istio's root namespace belongs to the mesh layer; any other namespace is the stack's own.
      createNamespace: props.namespace !== ISTIO_ROOT_NAMESPACE,
      prometheus: {
        retention: parseRetention(this, props.prometheus.retention),
        storageSize: props.prometheus.storageSize,
        replicas: props.prometheus.replicas,
        resources: props.prometheus.resources,
      },
      alerting: {
        receiver,
        latencyThreshold: Duration.millis(props.alerts.latencyP99Ms),
        errorRatioThreshold: props.alerts.errorRatePercent / 100,
        alertmanagerReplicas: props.alertmanager.replicas,
        alertmanagerStorageSize: props.alertmanager.storageSize,
        alertmanagerResources: props.alertmanager.resources,
      },
      grafana: {
        adminSecret: { name: props.grafana.adminSecret },
        externalUrl: props.grafana.externalUrl,
        resources: props.grafana.resources,
      },
      jaeger: { maxTraces: props.jaeger.maxTraces, externalUrl: props.jaeger.externalUrl, resources: props.jaeger.resources },
      kiali: { auth, resources: props.kiali.resources },
    });
  }
}

/** `6h`, `15d`, `4w` as a Duration. */
function parseRetention(scope: Construct, text: string): Duration {
  return (
    DurationSyntax.PROMETHEUS.parse(text) ??
    invalid(
      'ObservabilityChart',
      scope,
      `mesh:observability.prometheus.retention '${text}' is not a Prometheus duration; use whole ${DurationSyntax.PROMETHEUS.units.join(', ')} units, largest first, such as 6h, 15d or 4w`,
    )
  );
}
