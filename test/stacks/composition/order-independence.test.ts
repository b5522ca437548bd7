import { buildPlatform } from '../../../stacks/composition/platform';
import { ApiObject, App, Duration, Testing, Yaml } from 'cdk8s';
import { Layer, LayerChart, ZeroTrustChart } from '../../../charts';
import { CanaryRelease, MeshApp, MtlsMode, ResilientRoute, Strategy, ZeroTrustPolicy } from '../../../constructs';
import { VirtualService } from '../../../imports/networking.istio.io';
import { renderCharts } from '../../../stacks/engines/render';
import { parseEnvironment } from '../../../stacks/environments';
import { GATEWAY, productionZeroTrust } from '../../support/zero-trust';

const IMAGE = 'docker.io/mccutchen/go-httpbin:v2.15.0';

/**
 * The steps of one small platform: two apps, a call, a gateway route, a resilient route, a canary, zero trust.
 * Each kind of construct has a chart of its own, created first, so that only the order of the steps varies.
 */
function steps(app: App) {
  const apps = new LayerChart(app, 'apps', { layer: Layer.APPS, namespace: 'shop' });
  const routes = new LayerChart(app, 'routes', { layer: Layer.APPS, namespace: 'shop' });
  const delivery = new LayerChart(app, 'delivery', { layer: Layer.APPS, namespace: 'shop' });
  let web: MeshApp | undefined;
  let api: MeshApp | undefined;
  return {
    zeroTrust: () => new ZeroTrustChart(app, 'zero-trust', productionZeroTrust({ exposedApps: ['api'] })),
    apps: () => {
      web = new MeshApp(apps, 'web', { image: IMAGE, ports: [{ port: 8000, targetPort: 8080 }] });
      api = new MeshApp(apps, 'api', { image: IMAGE, ports: [{ port: 8000, targetPort: 8080 }] });
      web.calls(api);
    },
    gatewayRoute: () =>
      new VirtualService(routes, 'web-gateway', {
        metadata: { name: 'web-gateway' },
        spec: {
          hosts: ['web.example.com'],
          gateways: ['istio-system/public-gateway'],
          http: [{ route: [{ destination: { host: 'web.shop.svc.cluster.local', port: { number: 8000 } } }] }],
        },
      }),
    route: () =>
      new ResilientRoute(routes, 'api-route', { app: api!, timeout: Duration.seconds(2), outlierDetection: { consecutive5xxErrors: 3 } }),
    canary: () =>
      new CanaryRelease(delivery, 'api-canary', {
        app: api!,
        strategy: Strategy.progressive({ stepWeight: 20 }),
        traffic: { retries: { attempts: 2 } },
      }),
  };
}

type Step = keyof ReturnType<typeof steps>;

/** Builds the platform with its steps run in `order`; the rendered output, as YAML per chart (by chart id). */
function render(order: readonly Step[]): { app: App; yaml: string } {
  const app = Testing.app();
  const build = steps(app);
  order.forEach((step) => build[step]());
  const yaml = renderCharts(app, { analysis: false })
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((c) => `# ${c.id}\n${Yaml.stringify(...c.objects)}`)
    .join('\n');
  return { app, yaml };
}

describe('results do not depend on the order constructs are created in', () => {
  const dependencyOrder: Step[] = ['apps', 'canary', 'route', 'gatewayRoute', 'zeroTrust'];

  test('zero trust first, the route before its canary: byte-identical output', () => {
    const reference = render(dependencyOrder).yaml;
    expect(render(['zeroTrust', 'apps', 'route', 'gatewayRoute', 'canary']).yaml).toEqual(reference);
    expect(render(['apps', 'gatewayRoute', 'route', 'zeroTrust', 'canary']).yaml).toEqual(reference);
  });

  test('apps, gateway routes and canaries created after the ZeroTrustChart are governed, exposed and relabeled', () => {
    const { app } = render(['zeroTrust', 'apps', 'route', 'gatewayRoute', 'canary']);
    const policies = Testing.synth(app.node.findChild('zero-trust') as ZeroTrustChart).filter((o) => o.kind === 'AuthorizationPolicy');
    const rules = (name: string) => policies.find((o) => o.metadata.name === name)?.spec.rules;
    const gateway = { from: [{ source: { principals: ['cluster.local/ns/istio-system/sa/istio-ingressgateway'] } }] };
    // The gateway route created after the chart: web accepts the ingress gateway.
    expect(rules('web')).toEqual([gateway]);
    // api: its declared caller and the gateway (mesh:security.exposedApps), on its primary pods too (the canary
    // was created after the app and after the chart).
    const api = [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }] }, gateway];
    expect(rules('api')).toEqual(api);
    expect(rules('api-primary')).toEqual(api);
  });

  test('the route created before its canary renders into the Canary, not into objects of its own', () => {
    const { app } = render(['apps', 'route', 'canary', 'gatewayRoute', 'zeroTrust']);
    const objects = renderCharts(app, { analysis: false }).flatMap((c) => c.objects) as any[];
    expect(objects.filter((o) => o.metadata.name === 'api' && ['VirtualService', 'DestinationRule'].includes(o.kind))).toEqual([]);
    expect(objects.find((o) => o.kind === 'Canary').spec.service).toMatchObject({
      timeout: '2s',
      retries: { attempts: 2 },
      trafficPolicy: { outlierDetection: { consecutive5xxErrors: 3 } },
    });
  });
});

describe('ZeroTrustPolicy', () => {
  /** A policy with JWT, an mTLS exception and a DENY on httpbin, and httpbin's CanaryRelease, in either order. */
  function policyWithCanary(order: 'policy first' | 'canary first'): { yaml: string; policy: ZeroTrustPolicy } {
    const app = Testing.app();
    const chart = new LayerChart(app, 'apps', { layer: Layer.APPS, namespace: 'demo' });
    const httpbin = new MeshApp(chart, 'httpbin', { image: IMAGE, ports: [{ port: 8000, targetPort: 8080 }] });
    const sleep = new MeshApp(chart, 'sleep', { image: IMAGE, ports: [{ port: 80, targetPort: 8080 }] });
    sleep.calls(httpbin);
    const delivery = new LayerChart(app, 'delivery', { layer: Layer.APPS, namespace: 'demo' });
    const canary = () => new CanaryRelease(delivery, 'httpbin', { app: httpbin, strategy: Strategy.progressive({ stepWeight: 20 }) });
    if (order === 'canary first') canary();
    const policy = new ZeroTrustPolicy(chart, 'zero-trust', { apps: [httpbin, sleep], ingressGateway: GATEWAY });
    policy.addJwtIssuer(httpbin, { issuer: 'https://id.example.com', jwksUri: 'https://id.example.com/jwks.json' });
    policy.addMtlsException(httpbin, 8000, MtlsMode.PERMISSIVE);
    policy.deny(sleep, httpbin).onPaths('/admin/*');
    if (order === 'policy first') canary();
    const yaml = renderCharts(app, { analysis: false })
      .map((c) => `# ${c.id}\n${Yaml.stringify(...c.objects)}`)
      .join('\n');
    return { yaml, policy };
  }

  test('a CanaryRelease created after its app joined the policy: the -primary objects, byte-identical to the other order', () => {
    const late = policyWithCanary('policy first');
    expect(late.yaml).toEqual(policyWithCanary('canary first').yaml);
    const names = late.policy.objects.map((o) => `${o.kind} ${o.metadata.name}`);
    for (const name of ['AuthorizationPolicy httpbin-primary', 'Sidecar httpbin-primary', 'RequestAuthentication httpbin-primary-jwt'])
      expect(names).toContain(name);
    expect(names).toContain('PeerAuthentication httpbin-primary');
    expect(names).toContain('AuthorizationPolicy httpbin-primary-deny');
  });
});

describe('buildPlatform', () => {
  test('governs an app added after the platform was built (the ZeroTrustChart finds its apps at synthesis)', () => {
    const app = buildPlatform(parseEnvironment('dev', {}, 'Pulumi.dev.yaml'));
    const late = new LayerChart(app, 'late-apps', { layer: Layer.APPS, namespace: 'late' });
    new MeshApp(late, 'echo', { image: IMAGE, ports: [{ port: 8000, targetPort: 8080 }] });
    const zeroTrust = renderCharts(app, { analysis: false }).find((c) => c.id === 'zero-trust')!;
    const keys = zeroTrust.objects.filter((o) => o.metadata.namespace === 'late').map((o) => `${o.kind} ${o.metadata.name}`);
    expect(keys).toEqual(expect.arrayContaining(['AuthorizationPolicy default-deny', 'AuthorizationPolicy echo', 'NetworkPolicy echo']));
    expect(app.node.findAll().some((c) => c instanceof ApiObject && c.kind === 'Sidecar' && c.metadata.namespace === 'late')).toBe(true);
  });

  test('fails the synth when mesh:security.exposedApps names no app of the tree (checked once the tree is complete)', () => {
    const app = buildPlatform(parseEnvironment('dev', { 'mesh:security': { exposedApps: ['nope'] } }, 'Pulumi.dev.yaml'));
    expect(() => renderCharts(app, { analysis: false })).toThrow(
      /ZeroTrustChart zero-trust: mesh:security.exposedApps names 'nope', which is not an app of this environment; use one of .* or remove it/,
    );
  });
});
