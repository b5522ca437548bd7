import { App } from 'cdk8s';
import {
  BookinfoChart,
  HttpbinCanaryChart,
  ProgressiveDeliveryChart,
  ProgressiveDeliveryConfigsChart,
  WeightedCanaryChart,
} from '../../charts';
import { MeshApp } from '../../constructs';
import { EnvironmentConfig } from '../environments';
import { MeshPlatform } from './mesh-platform';

/** What progressive delivery binds to. */
export interface ProgressiveDeliveryInputs {
  /** The mesh platform (istiod, the public gateway). */
  readonly mesh: MeshPlatform;
  /** The observability stack's Prometheus query URL. */
  readonly prometheusUrl: string;
  /** The demo httpbin, when deployed. */
  readonly httpbin?: MeshApp;
}

/** What {@link addProgressiveDelivery} built. */
export interface ProgressiveDelivery {
  /** Flagger and its load tester (layer platform). */
  readonly platform: ProgressiveDeliveryChart;
  /** The shared latency template and alert provider (layer platform-configs). */
  readonly configs: ProgressiveDeliveryConfigsChart;
  readonly httpbinCanary?: HttpbinCanaryChart;
  readonly weightedCanary?: WeightedCanaryChart;
  readonly bookinfo?: BookinfoChart;
}

/**
 * The `mesh:canary` part of an environment: Flagger and its load tester (layer platform), the
 * shared latency template and alert provider, Flagger custom resources (layer platform-configs);
 * scenario S3's httpbin canary, S7's weighted split and S6's bookinfo (layer apps), as configured.
 * Chart ids are a public contract.
 */
export function addProgressiveDelivery(app: App, config: EnvironmentConfig, inputs: ProgressiveDeliveryInputs): ProgressiveDelivery {
  const delivery = config.canary;
  const gateway = inputs.mesh.ingress.gateway;
  const platform = new ProgressiveDeliveryChart(app, 'progressive-delivery', {
    prometheusUrl: inputs.prometheusUrl,
    dependsOn: [inputs.mesh.controlPlane.istiod],
  });
  const configs = new ProgressiveDeliveryConfigsChart(app, 'progressive-delivery-configs', {
    flagger: platform.flagger,
    alerts: delivery.alerts,
  });
  const httpbinCanary = delivery.httpbinCanary.enabled
    ? new HttpbinCanaryChart(app, 'httpbin-canary', {
        httpbin: inputs.httpbin,
        gateway,
        latency: configs.latency,
        manualPromotion: delivery.httpbinCanary.manualPromotion,
        alertProvider: configs.alertProvider,
      })
    : undefined;
  const weightedCanary = delivery.weightedSplit.enabled
    ? new WeightedCanaryChart(app, 'weighted-canary', { ...delivery.weightedSplit, gateway, workloads: config.workloads })
    : undefined;
  const bookinfo = config.demo.apps.includes('bookinfo')
    ? new BookinfoChart(app, 'bookinfo', { ...delivery.bookinfo, gateway, workloads: config.workloads })
    : undefined;
  return { platform, configs, httpbinCanary, weightedCanary, bookinfo };
}
