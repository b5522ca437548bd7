import { Duration } from 'cdk8s';
import { CanaryMetric, CanaryRelease, MeshApp, MeshNamespace, Strategy, Webhook } from '../../constructs';
import { defineApps } from '../../stacks/composition/code-apps';

/**
 * The shop, in code, through the documented entry point (a test-local registration, not shipped in apps/):
 * web calls catalog and cart, cart calls catalog; web is canaried and exposed through the public gateway.
 */
export const shopApps = defineApps((ctx) => {
  const chart = ctx.layerChart('shop', { namespace: 'shop' });
  new MeshNamespace(chart, 'namespace', { name: 'shop' });
  const http = [{ port: 8080 }];
  const catalog = new MeshApp(chart, 'catalog', { image: 'registry.example.com/catalog:1.4.2', ports: http });
  const cart = new MeshApp(chart, 'cart', { image: 'registry.example.com/cart:3.0.1', ports: http });
  const web = new MeshApp(chart, 'web', {
    image: 'registry.example.com/web:2.0.0',
    ports: http,
    autoscaling: { minReplicas: 2, maxReplicas: 4, cpuUtilization: 80 },
  });
  web.calls(catalog, cart);
  cart.calls(catalog);
  new CanaryRelease(chart, 'web-canary', {
    app: web,
    strategy: Strategy.progressive({ stepWeight: 20, maxWeight: 50 }),
    gateways: [ctx.publicGateway],
    hosts: ['shop.example.com'],
    loadTesterUrl: ctx.loadTesterUrl,
    metrics: [CanaryMetric.requestSuccessRate({ min: 99, interval: Duration.minutes(1) })],
    webhooks: [Webhook.heyLoadTest({ duration: Duration.minutes(1), requestsPerSecond: 10, concurrency: 2, timeout: Duration.seconds(5) })],
  });
});
