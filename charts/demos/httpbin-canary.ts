import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import {
  AlertProvider,
  CanaryMetric,
  CanaryRelease,
  IMeshGateway,
  IMetricTemplate,
  invalid,
  MeshApp,
  Strategy,
  Webhook,
} from '../../constructs';
import { Layer, LayerChart } from '../layer';

/** Scenario S3's httpbin autoscaling: min 2, max 4 replicas, CPU target 99 %. */
export const S3_HTTPBIN_AUTOSCALING = { minReplicas: 2, maxReplicas: 4, cpuUtilization: 99 } as const;

/** Properties of an {@link HttpbinCanaryChart}. */
export interface HttpbinCanaryChartProps {
  /**
   * The demo httpbin (autoscaled as {@link S3_HTTPBIN_AUTOSCALING}).
   * @default - none: the chart then fails, naming the config keys that deploy httpbin
   */
  readonly httpbin?: MeshApp;
  /** The public gateway the canary's traffic arrives through. */
  readonly gateway: IMeshGateway;
  /** The P99 latency template (istio-system/latency). */
  readonly latency: IMetricTemplate;
  /** Require a manual approval (the load tester's gate) before promotion. */
  readonly manualPromotion: boolean;
  /**
   * Where the release's alerts go.
   * @default - none
   */
  readonly alertProvider?: AlertProvider;
}

/**
 * Scenario S3 on the demo httpbin: a progressive canary through the public gateway, every 30s,
 * 20 % more traffic per step up to 100 %, rolled back after 5 failed checks; success rate >= 99 %
 * over 1m and P99 latency <= 500 ms over 30s; a `hey` load test on httpbin-canary during the analysis.
 */
export class HttpbinCanaryChart extends LayerChart {
  /** The release. */
  readonly release: CanaryRelease;

  constructor(scope: Construct, id: string, props: HttpbinCanaryChartProps) {
    super(scope, id, { layer: Layer.APPS, namespace: props.httpbin?.namespace });
    const httpbin =
      props.httpbin ??
      invalid(
        'HttpbinCanaryChart',
        this,
        "mesh:canary.httpbinCanary.enabled needs the demo httpbin; add 'httpbin' to mesh:demo.apps or disable the canary",
      );
    this.release = new CanaryRelease(this, 'httpbin', {
      app: httpbin,
      strategy: Strategy.progressive({ stepWeight: 20, maxWeight: 100 }),
      port: 8000,
      gateways: [props.gateway],
      interval: Duration.seconds(30),
      threshold: 5,
      progressDeadline: Duration.seconds(60),
      metrics: [
        CanaryMetric.requestSuccessRate({ min: 99, interval: Duration.minutes(1) }),
        CanaryMetric.fromTemplate(props.latency, { max: 500, interval: Duration.seconds(30) }),
      ],
      webhooks: [
        Webhook.heyLoadTest({
          path: '/headers',
          duration: Duration.minutes(1),
          requestsPerSecond: 10,
          concurrency: 2,
          timeout: Duration.seconds(5),
        }),
        ...(props.manualPromotion ? [Webhook.confirmPromotion({ timeout: Duration.seconds(5) })] : []),
      ],
      alerts: props.alertProvider ? [{ provider: props.alertProvider }] : [],
    });
  }
}
