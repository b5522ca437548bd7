import { Chart, Duration, Testing } from 'cdk8s';
import { Node } from 'constructs';
import {
  CanaryMetric,
  CanaryRelease,
  MeshApp,
  MeshNamespace,
  ObservabilityStack,
  Strategy,
  Webhook,
  ZeroTrustPolicy,
} from '../../../constructs';
import { GATEWAY } from '../../support/zero-trust';

const find = (objects: any[], kind: string, namespace: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.namespace === namespace && o.metadata.name === name);
const problemsOf = (chart: Chart) => chart.node.findAll().flatMap((c) => c.node.validate());

/** The README's shop: web calls catalog, a ZeroTrustPolicy and a CanaryRelease on web, the platform's observability stack. */
function readmeShop() {
  const chart = new Chart(Testing.app(), 'shop', { namespace: 'shop' });
  new MeshNamespace(chart, 'shop');
  const catalog = new MeshApp(chart, 'catalog', { image: 'registry.example.com/catalog:1.4.2', ports: [{ port: 8080 }] });
  const web = new MeshApp(chart, 'web', {
    image: 'registry.example.com/web:2.0.0',
    ports: [{ port: 80, targetPort: 8080 }],
    autoscaling: { minReplicas: 2, maxReplicas: 4, cpuUtilization: 80 },
  });
  web.calls(catalog);
  new CanaryRelease(chart, 'web-canary', {
    app: web,
    strategy: Strategy.progressive({ stepWeight: 20, maxWeight: 50 }),
    metrics: [CanaryMetric.requestSuccessRate({ min: 99, interval: Duration.minutes(1) })],
    webhooks: [Webhook.heyLoadTest({ duration: Duration.minutes(1), requestsPerSecond: 10, concurrency: 2, timeout: Duration.seconds(5) })],
  });
  const policy = new ZeroTrustPolicy(chart, 'zero-trust', { apps: [web, catalog], ingressGateway: GATEWAY });
  policy.expose(web);
  new ObservabilityStack(chart, 'observability');
  return { chart, policy, web, catalog };
}

describe('zero trust for any app (a ZeroTrustPolicy of your own)', () => {
  test("a canaried app admits the load tester its Canary's webhooks call, so the canary can promote", () => {
    const { chart } = readmeShop();
    const objects = Testing.synth(chart);
    for (const name of ['web', 'web-primary']) {
      expect(find(objects, 'AuthorizationPolicy', 'shop', name).spec.rules).toContainEqual({
        from: [{ source: { namespaces: ['test'] } }],
      });
    }
    expect(find(objects, 'NetworkPolicy', 'shop', 'web').spec.ingress[0].from).toContainEqual({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'test' } },
    });
    // The catalog is not canaried: the load tester stays out.
    expect(JSON.stringify(find(objects, 'AuthorizationPolicy', 'shop', 'catalog'))).not.toContain('"test"');
    expect(problemsOf(chart)).toEqual([]);
  });

  test("Prometheus of the tree's ObservabilityStack (namespace observability) scrapes every sidecar", () => {
    const { chart, policy } = readmeShop();
    expect(policy.prometheus).toMatchObject({ namespace: 'observability', serviceAccount: 'prometheus-server' });
    const objects = Testing.synth(chart);
    for (const name of ['web', 'catalog']) {
      expect(find(objects, 'NetworkPolicy', 'shop', name).spec.ingress[1]).toEqual({
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } }, podSelector: expect.any(Object) }],
        ports: [
          { protocol: 'TCP', port: 15020 },
          { protocol: 'TCP', port: 15090 },
        ],
      });
    }
  });

  test('a gateway-bound Canary exposes its app to the ingress gateway without expose()', () => {
    const chart = new Chart(Testing.app(), 'shop', { namespace: 'shop' });
    const web = new MeshApp(chart, 'web', {
      image: 'web:2',
      ports: [{ port: 8080 }],
      autoscaling: { minReplicas: 2, maxReplicas: 4, cpuUtilization: 80 },
    });
    new CanaryRelease(chart, 'web-canary', {
      app: web,
      strategy: Strategy.progressive({ stepWeight: 20, maxWeight: 50 }),
      gateways: [{ gatewayName: 'istio-system/public-gateway' } as any],
      hosts: ['shop.example.com'],
    });
    new ZeroTrustPolicy(chart, 'zero-trust', { apps: [web], ingressGateway: GATEWAY });
    const rules = find(Testing.synth(chart), 'AuthorizationPolicy', 'shop', 'web').spec.rules;
    expect(rules).toContainEqual({ from: [{ source: { principals: ['cluster.local/ns/istio-system/sa/istio-ingressgateway'] } }] });
  });

  test('a caller in another namespace, under another policy, is never dropped', () => {
    const chart = new Chart(Testing.app(), 'mesh');
    const web = new MeshApp(chart, 'web', { namespace: 'shop', image: 'web:2', ports: [{ port: 8080 }] });
    const ledger = new MeshApp(chart, 'ledger', { namespace: 'pay', image: 'ledger:1', ports: [{ port: 9090 }] });
    web.calls(ledger);
    new ZeroTrustPolicy(chart, 'shop-policy', { apps: [web] });
    new ZeroTrustPolicy(chart, 'pay-policy', { apps: [ledger] });
    const objects = Testing.synth(chart);
    expect(find(objects, 'AuthorizationPolicy', 'pay', 'ledger').spec.rules).toEqual([
      { from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }] },
    ]);
    expect(find(objects, 'NetworkPolicy', 'pay', 'ledger').spec.ingress[0].from).toContainEqual({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } },
      podSelector: { matchLabels: { app: 'web' } },
    });
    expect(find(objects, 'NetworkPolicy', 'shop', 'web').spec.egress).toContainEqual({
      to: [
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'pay' } }, podSelector: { matchLabels: { app: 'ledger' } } },
      ],
      ports: [{ protocol: 'TCP', port: 9090 }],
    });
    expect(problemsOf(chart)).toEqual([]);
  });

  test('fails when a declared call goes into a namespace no policy governs, naming both apps and the fix', () => {
    const chart = new Chart(Testing.app(), 'mesh');
    const web = new MeshApp(chart, 'web', { namespace: 'shop', image: 'web:2', ports: [{ port: 8080 }] });
    const ledger = new MeshApp(chart, 'ledger', { namespace: 'pay', image: 'ledger:1', ports: [{ port: 9090 }] });
    web.calls(ledger);
    new ZeroTrustPolicy(chart, 'shop-policy', { apps: [web] });
    expect(problemsOf(chart)).toEqual([
      "ZeroTrustPolicy mesh/shop-policy: shop/web calls pay/ledger, but no ZeroTrustPolicy governs namespace 'pay', so nothing there allows that call or denies any other; add pay/ledger to a ZeroTrustPolicy (its 'apps' prop or addApp), or remove web.calls(ledger)",
    ]);
  });

  test('one policy per namespace stays linear: the tree is walked as often for 40 policies as for 4', () => {
    const walks = (namespaces: number) => {
      const chart = new Chart(Testing.app(), 'mesh');
      const apps = Array.from(
        { length: namespaces },
        (_, i) => new MeshApp(chart, `app-${i}`, { namespace: `ns-${i}`, image: 'app:1', ports: [{ port: 8080 }] }),
      );
      apps.forEach((a, i) => i > 0 && a.calls(apps[i - 1]));
      apps.forEach((a, i) => new ZeroTrustPolicy(chart, `policy-${i}`, { apps: [a] }));
      const spy = jest.spyOn(Node.prototype, 'findAll');
      try {
        Testing.synth(chart);
        chart.node.findAll().forEach((c) => c.node.validate());
        return spy.mock.calls.length;
      } finally {
        spy.mockRestore();
      }
    };
    expect(walks(40)).toBe(walks(4));
  });
});
