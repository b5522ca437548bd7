import { App } from 'cdk8s';
import { ProgressiveDeliveryChart, ProgressiveDeliveryConfigsChart } from '../../charts';
import { EnvironmentConfig } from '../environments';
import { MeshPlatform } from './mesh-platform';
import { chatServiceOf } from './variants';

/** What progressive delivery binds to. */
export interface ProgressiveDeliveryInputs {
  /** The mesh platform (istiod, the public gateway). */
  readonly mesh: MeshPlatform;
  /** The observability stack's Prometheus query URL. */
  readonly prometheusUrl: string;
}

/** What {@link addProgressiveDelivery} built. */
export interface ProgressiveDelivery {
  /** Flagger and its load tester (layer platform). */
  readonly platform: ProgressiveDeliveryChart;
  /** The shared latency template and alert provider (layer platform-configs). */
  readonly configs: ProgressiveDeliveryConfigsChart;
}

/**
 * The `mesh:canary` part of an environment: Flagger and its load tester (layer platform), the
 * shared latency template and alert provider, Flagger custom resources (layer platform-configs).
 * (S3's httpbin canary, S7's weighted split and S6's bookinfo are demo apps declared as `mesh:apps`
 * entries, built with the apps: see `addUserApps`.)
 * Chart ids are a public contract.
 */
export function addProgressiveDelivery(app: App, config: EnvironmentConfig, inputs: ProgressiveDeliveryInputs): ProgressiveDelivery {
  const delivery = config.canary;
  const platform = new ProgressiveDeliveryChart(app, 'progressive-delivery', {
    prometheusUrl: inputs.prometheusUrl,
    dependsOn: [inputs.mesh.controlPlane.istiod],
  });
  const configs = new ProgressiveDeliveryConfigsChart(app, 'progressive-delivery-configs', {
    flagger: platform.flagger,
    alerts: delivery.alerts && { ...delivery.alerts, channel: chatServiceOf('mesh:canary.alerts.channel', delivery.alerts.channel) },
  });
  return { platform, configs };
}
