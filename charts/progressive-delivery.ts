import { Construct } from 'constructs';
import {
  AlertChannel,
  AlertProvider,
  Flagger,
  FLAGGER_LOAD_TESTER_NAMESPACE,
  FlaggerLoadTester,
  HelmComponent,
  IMeshGateway,
  MeshNamespace,
  MetricTemplate,
} from '../constructs';
import { ISTIO_SYSTEM_NAMESPACE } from '../constructs/core/namespaces';
import { ChatService } from '../constructs/core/chat';
import { Layer, LayerChart } from './layer';

/** Namespace of Flagger and of the metric templates and alert providers canaries share (scenario S3). */
export const FLAGGER_NAMESPACE = ISTIO_SYSTEM_NAMESPACE;

/** Where canary alerts go. */
export interface CanaryAlertsSettings {
  /** The chat service. */
  readonly channel: ChatService;
  /** Secret in istio-system whose `address` key holds the webhook URL. */
  readonly secretName: string;
  /**
   * The Slack channel.
   * @default - the webhook's own
   */
  readonly chatChannel?: string;
}

/** Properties of a {@link ProgressiveDeliveryChart}. */
export interface ProgressiveDeliveryChartProps {
  /** The Prometheus query URL (the observability stack's): Flagger's `metricsServer`. */
  readonly prometheusUrl: string;
  /**
   * Releases Flagger waits for (the Istio control plane).
   * @default - none
   */
  readonly dependsOn?: HelmComponent[];
}

/**
 * Layer PLATFORM, the controllers of scenario S3's progressive delivery: Flagger (Istio provider, the
 * environment's Prometheus) in istio-system and its load tester in the injected namespace `test`.
 * The objects that configure Flagger (MetricTemplates, AlertProviders) need the CRDs Flagger's chart
 * installs, so they are in a {@link ProgressiveDeliveryConfigsChart} of the next layer.
 */
export class ProgressiveDeliveryChart extends LayerChart {
  /** Flagger. */
  readonly flagger: Flagger;
  /** The load tester. */
  readonly loadTester: FlaggerLoadTester;

  constructor(scope: Construct, id: string, props: ProgressiveDeliveryChartProps) {
    super(scope, id, { layer: Layer.PLATFORM, namespace: FLAGGER_NAMESPACE });
    this.flagger = new Flagger(this, 'flagger', {
      prometheusUrl: props.prometheusUrl,
      namespace: FLAGGER_NAMESPACE,
      dependsOn: props.dependsOn,
    });
    new MeshNamespace(this, 'load-tester-namespace', { name: FLAGGER_LOAD_TESTER_NAMESPACE });
    this.loadTester = new FlaggerLoadTester(this, 'load-tester', {
      namespace: FLAGGER_LOAD_TESTER_NAMESPACE,
      dependsOn: [this.flagger.component],
    });
  }
}

/** Properties of a {@link ProgressiveDeliveryConfigsChart}. */
export interface ProgressiveDeliveryConfigsChartProps {
  /** The Flagger the templates and alert providers configure; the templates query its Prometheus. */
  readonly flagger: Flagger;
  /**
   * Where canary alerts go.
   * @default - no alert provider
   */
  readonly alerts?: CanaryAlertsSettings;
}

/**
 * Layer PLATFORM_CONFIGS, what canaries share in istio-system (scenario S3): the P99 `latency`
 * MetricTemplate and, when configured, the AlertProvider canaries post to. Both are Flagger custom
 * resources, applied once the platform layer has installed Flagger and its CRDs.
 */
export class ProgressiveDeliveryConfigsChart extends LayerChart {
  /** Scenario S3's `latency` template: P99 request duration of the canary's workload in ms. */
  readonly latency: MetricTemplate;
  /** The alert provider, when configured. */
  readonly alertProvider?: AlertProvider;

  constructor(scope: Construct, id: string, props: ProgressiveDeliveryConfigsChartProps) {
    super(scope, id, { layer: Layer.PLATFORM_CONFIGS, namespace: FLAGGER_NAMESPACE });
    this.latency = MetricTemplate.istioP99Latency(this, 'latency', { prometheusUrl: props.flagger.prometheusUrl });
    if (props.alerts) {
      this.alertProvider = new AlertProvider(this, 'canary-alerts', {
        channel: props.alerts.channel === ChatService.SLACK ? AlertChannel.SLACK : AlertChannel.TEAMS,
        secretName: props.alerts.secretName,
        chatChannel: props.alerts.chatChannel,
      });
    }
  }
}

/**
 * A reference to scenario S2's `public-gateway` in istio-system by name, for environments whose
 * construct tree does not declare the gateway itself (the ingress chart owns the object).
 */
export const PUBLIC_GATEWAY_REFERENCE: IMeshGateway = {
  gatewayName: 'public-gateway',
  gatewayNamespace: ISTIO_SYSTEM_NAMESPACE,
  reference: 'istio-system/public-gateway',
  hosts: ['*'],
};
