import * as fs from 'node:fs';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { parseEnvironment } from '../../../stacks/environments';
import { buildPlatform } from '../../../stacks/composition/platform';
import { KubeObject, renderCharts } from '../../../stacks/engines/render';
import { AccessExplainer, accessMatrix, allowedEdges } from '../../../stacks/inspection/access';
import { configProblems } from '../../support/config-problems';
import { REPO_ROOT } from '../../support/shared-dir';
import { SHOP, shopEnvironment, NO_DEMOS } from '../../support/shop';

let rendered: { objects: readonly KubeObject[]; byChart: Map<string, readonly KubeObject[]> } | undefined;
function shop(): { objects: readonly KubeObject[]; byChart: Map<string, readonly KubeObject[]> } {
  if (!rendered) {
    const charts = renderCharts(buildPlatform(shopEnvironment()));
    rendered = { objects: charts.flatMap((c) => c.objects), byChart: new Map(charts.map((c) => [c.id, c.objects])) };
  }
  return rendered!;
}

function find(objects: readonly KubeObject[], kind: string, name: string, namespace = 'shop'): any {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace);
  if (!found) throw new Error(`no ${kind} ${namespace}/${name}`);
  return found;
}

describe('mesh:apps: a shop declared in config', () => {
  test('one chart user-apps-shop in layer apps: the namespace, a ServiceAccount, Service and Deployment per app', () => {
    const objects = shop().byChart.get('user-apps-shop')!;
    expect(objects).toBeDefined();
    expect(objects.find((o) => o.kind === 'Namespace')).toMatchObject({
      metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } },
    });
    for (const app of ['web', 'catalog', 'cart']) {
      expect(find(objects, 'ServiceAccount', app)).toBeDefined();
      expect(find(objects, 'Deployment', app)).toMatchObject({
        spec: { template: { metadata: { labels: { app, version: 'v1' } }, spec: { serviceAccountName: app } } },
      });
    }
    // web's Service belongs to Flagger (its canary); the others are the apps' own, with named ports.
    expect(find(objects, 'Service', 'catalog').spec.ports).toEqual([
      expect.objectContaining({ name: 'grpc', port: 8080, targetPort: 8080 }),
    ]);
    expect(find(objects, 'Service', 'cart').spec.ports).toEqual([expect.objectContaining({ name: 'http', port: 80, targetPort: 8080 })]);
    expect(find(objects, 'Deployment', 'web').spec.template.spec.containers[0].image).toBe('ghcr.io/acme/web:1.4.2');
  });

  test("web's canary: Flagger owns its routing, exposed through the public gateway, analysis from the tier", () => {
    const canary = find(shop().byChart.get('user-apps-shop')!, 'Canary', 'web');
    expect(canary.spec.targetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' });
    expect(canary.spec.service).toMatchObject({
      port: 8080,
      gateways: ['public-gateway.istio-system.svc.cluster.local', 'mesh'],
      hosts: ['shop.localhost'],
    });
    expect(canary.spec.analysis).toMatchObject({ interval: '30s', threshold: 5, stepWeight: 20, maxWeight: 100 });
    expect(canary.spec.analysis.metrics.map((m: any) => m.name)).toEqual(['request-success-rate', 'latency']);
    expect(canary.spec.analysis.webhooks.map((w: any) => w.name)).toEqual(['load-test']);
    // No VirtualService of ours for web: Flagger writes it.
    expect(shop().objects.filter((o) => o.kind === 'VirtualService' && o.metadata.name.startsWith('web'))).toEqual([]);
  });

  test("cart's resilience (its own timeout and retries, outlier detection from mesh:resilience)", () => {
    const objects = shop().byChart.get('user-apps-shop')!;
    expect(find(objects, 'VirtualService', 'cart').spec.http[0]).toMatchObject({
      timeout: '3s',
      retries: { attempts: 3, perTryTimeout: '1s' },
    });
    expect(find(objects, 'DestinationRule', 'cart').spec.trafficPolicy.outlierDetection).toMatchObject({ consecutive5xxErrors: 5 });
  });

  test('zero trust governs the apps: Sidecars import what each app calls', () => {
    const objects = shop().objects;
    const sidecars = objects.filter((o) => o.kind === 'Sidecar' && o.metadata.namespace === 'shop');
    expect(sidecars.length).toBeGreaterThan(0);
    const web = sidecars.find((s: any) => JSON.stringify(s.spec.workloadSelector ?? {}).includes('"web"')) as any;
    expect(web).toBeDefined();
    const hosts: string[] = web.spec.egress.flatMap((e: any) => e.hosts);
    expect(hosts).toEqual(expect.arrayContaining(['shop/catalog.shop.svc.cluster.local', 'shop/cart.shop.svc.cluster.local']));
  });

  test('the access matrix allows exactly the declared calls', () => {
    const shopEdges = allowedEdges(accessMatrix(shop().objects)).filter((e) => e.includes('shop/'));
    // Each app may reach itself (its own pods); beyond that, only what mesh:apps declares.
    expect(shopEdges.filter((e) => e.split(' -> ')[0] !== e.split(' -> ')[1])).toEqual([
      'shop/cart -> shop/catalog',
      'shop/web -> shop/cart',
      'shop/web -> shop/catalog',
    ]);
  });

  test('the platform identities reach the apps they serve: the ingress gateway reaches web, the load tester web, Prometheus every app (metrics)', () => {
    const explainer = new AccessExplainer(shop().objects);
    const gateway = { namespace: 'istio-system', serviceAccount: 'istio-ingressgateway' };
    const to = (app: string, port: number) => ({ namespace: 'shop', labels: { app, version: 'v1' }, port });
    expect(explainer.check({ source: gateway, destination: to('web', 8080), method: 'GET', path: '/' }).allowed).toBe(true);
    expect(explainer.check({ source: gateway, destination: to('catalog', 8080), method: 'GET', path: '/' }).allowed).toBe(false);
    const loadTester = { namespace: 'test', serviceAccount: 'flagger-loadtester' };
    // The load tester drives web's canary analysis; it has no business with the apps that are not released.
    expect(explainer.check({ source: loadTester, destination: to('web', 8080), method: 'GET', path: '/' }).allowed).toBe(true);
    expect(explainer.check({ source: loadTester, destination: to('cart', 8080), method: 'GET', path: '/' }).allowed).toBe(false);
    // Prometheus scrapes the sidecars' metrics port, outside authorization: each app's NetworkPolicy lets it in there.
    const policies = shop().objects.filter(
      (o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === 'shop' && o.metadata.name !== 'default-deny-ingress',
    ) as any[];
    expect(policies.map((p) => p.metadata.name).sort()).toEqual(['cart', 'catalog', 'web']);
    for (const policy of policies) {
      expect(policy.spec.ingress).toContainEqual({
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } }, podSelector: expect.anything() }],
        ports: expect.arrayContaining([expect.objectContaining({ port: 15020 })]),
      });
    }
  });

  test('an environment without mesh:apps renders no user-apps chart', () => {
    const charts = renderCharts(buildPlatform(parseEnvironment('dev', NO_DEMOS, 'Pulumi.dev.yaml')));
    expect(charts.filter((c) => c.id.startsWith('user-apps'))).toEqual([]);
  });
});

describe('mesh:apps: strategies, splits, cross-namespace calls', () => {
  test('a call to name.namespace wires the caller to the other namespace', () => {
    const config = shopEnvironment({
      ...SHOP,
      checkout: { pay: { image: 'ghcr.io/acme/pay:1', ports: [{ port: 8080 }], calls: ['catalog.shop'] } },
    });
    const charts = renderCharts(buildPlatform(config));
    expect(charts.map((c) => c.id)).toEqual(expect.arrayContaining(['user-apps-shop', 'user-apps-checkout']));
  });

  test.each([
    ['abTesting', { headers: { 'x-canary': 'true' } }, { iterations: 5, match: [{ headers: { 'x-canary': { exact: 'true' } } }] }],
    ['blueGreen', {}, { iterations: 5 }],
    ['mirroring', { mirrorWeight: 20 }, { iterations: 5, mirror: true, mirrorWeight: 20 }],
  ])('strategy %s renders its Canary analysis', (strategy, settings, analysis) => {
    const config = shopEnvironment({ shop: { web: { image: 'web:1', ports: [{ port: 8080 }], release: { strategy, ...settings } } } });
    const objects = renderCharts(buildPlatform(config)).flatMap((c) => c.objects);
    expect(find(objects, 'Canary', 'web').spec.analysis).toMatchObject(analysis);
  });

  test('expose.paths: the gateway routes only those paths, in-mesh callers keep every path', () => {
    const config = shopEnvironment({
      shop: { web: { image: 'web:1', ports: [{ port: 8080 }], expose: { hosts: ['shop.localhost'], paths: ['/api', '/static'] } } },
    });
    const objects = renderCharts(buildPlatform(config)).flatMap((c) => c.objects);
    const gateway = find(objects, 'VirtualService', 'web-gateway').spec;
    expect(gateway.hosts).toEqual(['shop.localhost']);
    expect(gateway.http).toEqual([expect.objectContaining({ match: [{ uri: { prefix: '/api' } }, { uri: { prefix: '/static' } }] })]);
    expect(find(objects, 'VirtualService', 'web').spec.http.every((r: any) => r.match === undefined)).toBe(true);
  });

  test('versions with weights become a manual weighted split', () => {
    const config = shopEnvironment({
      shop: {
        web: {
          image: 'web:1',
          ports: [{ port: 8080 }],
          versions: [
            { name: 'v1', weight: 90 },
            { name: 'v2', image: 'web:2', weight: 10 },
          ],
        },
      },
    });
    const objects = renderCharts(buildPlatform(config)).flatMap((c) => c.objects);
    expect(find(objects, 'Deployment', 'web-v2').spec.template.spec.containers[0].image).toBe('web:2');
    const routes = find(objects, 'VirtualService', 'web').spec.http[0].route;
    expect(routes.map((r: any) => [r.destination.subset, r.weight])).toEqual([
      ['v1', 90],
      ['v2', 10],
    ]);
  });
});

describe('mesh:apps: validation', () => {
  const problems = (apps: unknown, extra: Record<string, unknown> = {}) => configProblems(() => shopEnvironment(apps, extra));
  const web = { image: 'web:1', ports: [{ port: 8080 }] };

  test('fails when an app has an unknown key, naming the key path and the allowed keys', () => {
    expect(problems({ shop: { web: { ...web, replica: 2 } } })).toEqual([
      expect.stringMatching(
        /^Pulumi\.dev\.yaml: mesh:apps\.shop\.web\.replica: unknown key; did you mean 'replicas'\? \(allowed: image, ports, calls/,
      ),
    ]);
  });

  test('fails when a port has an unknown key', () => {
    expect(problems({ shop: { web: { image: 'web:1', ports: [{ port: 8080, protocl: 'http' }] } } })).toEqual([
      expect.stringMatching(
        /mesh:apps\.shop\.web\.ports\.0\.protocl: unknown key; did you mean 'protocol'\? \(allowed: port, protocol, targetPort, name\)/,
      ),
    ]);
  });

  test('fails when image is missing', () => {
    expect(problems({ shop: { web: { ports: [{ port: 8080 }] } } })).toEqual([
      'Pulumi.dev.yaml: mesh:apps.shop.web.image: expected string, got nothing',
    ]);
  });

  test('fails when an app calls an app that is not declared', () => {
    expect(problems({ shop: { web: { ...web, calls: ['catalog', 'pay.checkout'] } } })).toEqual([
      expect.stringContaining(
        'mesh:apps.shop.web.calls.0: "catalog" is not declared: there is no app catalog in namespace shop under mesh:apps; declare it (mesh:apps.shop.catalog)',
      ),
      expect.stringContaining('mesh:apps.shop.web.calls.1: "pay.checkout" is not declared: there is no app pay in namespace checkout'),
    ]);
  });

  test('fails when a port protocol is one Istio would treat as plain TCP', () => {
    expect(problems({ shop: { web: { image: 'web:1', ports: [{ port: 8080, protocol: 'websocket' }] } } })).toEqual([
      expect.stringMatching(
        /^Pulumi\.dev\.yaml: mesh:apps\.shop\.web\.ports\.0\.protocol: "websocket" is not a protocol Istio recognises, so Istio would treat the port as plain TCP.*use one of grpc-web, http2, https, http/,
      ),
    ]);
  });

  test.each([
    'istio-system',
    'kube-system',
    'kube-public',
    'kube-node-lease',
    'flux-system',
    'observability',
    'test',
    'cert-manager',
    'kube-anything',
    'default',
  ])('fails when the namespace is reserved: %s', (namespace) => {
    expect(problems({ [namespace]: { web } })).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Pulumi\\.dev\\.yaml: mesh:apps\\.${namespace}: namespace "${namespace}" is .*; put the apps in a namespace of their own`,
        ),
      ),
    ]);
  });

  test("fails when the namespace is one of the deployed demos' or the observability namespace set in the file", () => {
    expect(problems({ demo: { web } }, { 'mesh:demo': { apps: ['httpbin'] } })).toEqual([
      expect.stringContaining('mesh:apps.demo: namespace "demo" is used by the demo apps this environment deploys'),
    ]);
    expect(problems({ metrics: { web } }, { 'mesh:observability': { namespace: 'metrics' } })).toEqual([
      expect.stringContaining('mesh:apps.metrics: namespace "metrics" is the observability stack'),
    ]);
  });

  test('fails when a namespace or app name is not a DNS label', () => {
    expect(problems({ Shop: { web } })).toEqual([expect.stringContaining('mesh:apps.Shop: namespace "Shop" is not a DNS-1123 label')]);
    expect(problems({ shop: { Web_1: web } })).toEqual([
      expect.stringContaining('mesh:apps.shop.Web_1: app name "Web_1" must be a DNS-1123 label'),
    ]);
  });

  test('fails when the strategy is unknown or a setting belongs to another strategy', () => {
    expect(problems({ shop: { web: { ...web, release: { strategy: 'linear' } } } })).toEqual([
      'Pulumi.dev.yaml: mesh:apps.shop.web.release.strategy: string "linear" is not allowed; expected one of canary, abTesting, blueGreen, mirroring, rolling',
    ]);
    expect(problems({ shop: { web: { ...web, release: { strategy: 'blueGreen', stepWeight: 10 } } } })).toEqual([
      expect.stringContaining(
        'mesh:apps.shop.web.release.stepWeight: is not a setting of strategy blueGreen (its settings: iterations, interval',
      ),
    ]);
    expect(problems({ shop: { web: { ...web, release: { strategy: 'abTesting' } } } })).toEqual([
      expect.stringContaining('mesh:apps.shop.web.release.headers: strategy abTesting needs the request headers'),
    ]);
  });

  test('fails when versions do not add up to 100 or come with a Flagger release', () => {
    const versions = [
      { name: 'v1', weight: 80 },
      { name: 'v2', weight: 10 },
    ];
    expect(problems({ shop: { web: { ...web, versions } } })).toEqual([
      expect.stringContaining('mesh:apps.shop.web.versions: the weights add up to 90; they must add up to 100'),
    ]);
    expect(
      problems({
        shop: {
          web: {
            ...web,
            release: { strategy: 'canary' },
            versions: [
              { name: 'v1', weight: 50 },
              { name: 'v2', weight: 50 },
            ],
          },
        },
      }),
    ).toEqual([
      expect.stringContaining('mesh:apps.shop.web.versions: a manual weighted split cannot be combined with release strategy canary'),
    ]);
  });

  test('fails when expose, release or resilience is set on an app without an HTTP port', () => {
    expect(
      problems({ shop: { db: { image: 'db:1', ports: [{ port: 5432, protocol: 'tcp' }], expose: { hosts: ['db.localhost'] } } } }),
    ).toEqual([
      expect.stringContaining('mesh:apps.shop.db.expose: expose routes HTTP, but the app has no http, http2, grpc or grpc-web port'),
    ]);
  });

  test('fails when an exposed host is one the public gateway does not serve (over HTTPS where it has TLS)', () => {
    const ingress = { 'mesh:ingress': { hosts: ['shop.example.com'], tls: { hosts: ['shop.example.com'] } } };
    expect(problems({ shop: { web: { ...web, expose: { hosts: ['shop.example.com', 'other.example.com'] } } } }, ingress)).toEqual([
      'Pulumi.dev.yaml: mesh:apps.shop.web.expose.hosts.1: the public gateway never routes "other.example.com": ' +
        'its HTTPS server serves shop.example.com (mesh:ingress.tls.hosts); add the host there or expose a host it serves',
    ]);
    // Without TLS (staging's preset has none), the gateway's plain hosts.
    expect(
      problems(
        { shop: { web: { ...web, expose: { hosts: ['other.example.com'] } } } },
        { 'mesh:tier': 'staging', 'mesh:ingress': { hosts: ['shop.example.com'] } },
      ),
    ).toEqual([expect.stringContaining('it serves shop.example.com (mesh:ingress.hosts)')]);
  });

  test('fails when perTryTimeout exceeds the timeout, or the analysis interval is not whole seconds of at least 10s', () => {
    expect(problems({ shop: { web: { ...web, resilience: { timeout: '1s', retries: { attempts: 2, perTryTimeout: '2s' } } } } })).toEqual([
      'Pulumi.dev.yaml: mesh:apps.shop.web.resilience.retries.perTryTimeout: perTryTimeout 2s exceeds timeout 1s, so no attempt could use it; lower it to at most the timeout',
    ]);
    for (const interval of ['5s', '1500ms']) {
      expect(problems({ shop: { web: { ...web, release: { strategy: 'canary', interval } } } })).toEqual([
        expect.stringContaining('mesh:apps.shop.web.release.interval: must be whole seconds and at least 10s'),
      ]);
    }
  });

  test('fails when expose.paths comes with a Flagger release', () => {
    expect(
      problems({ shop: { web: { ...web, expose: { hosts: ['shop.localhost'], paths: ['/api'] }, release: { strategy: 'canary' } } } }),
    ).toEqual([expect.stringContaining('mesh:apps.shop.web.expose.paths: cannot be combined with release strategy canary')]);
  });

  test('fails when an app has no port', () => {
    expect(problems({ shop: { web: { image: 'web:1', ports: [] } } })).toEqual([
      expect.stringContaining('mesh:apps.shop.web.ports: must list at least one port'),
    ]);
  });

  // Each rule of an app's settings: the key path, the value and the fix.
  test.each<[string, Record<string, unknown>, string]>([
    [
      'the image is not an image reference',
      { image: 'ghcr.io/acme/web 1' },
      'mesh:apps.shop.web.image: must be an image reference such as ghcr.io/acme/web:1.4.2, got string "ghcr.io/acme/web 1"',
    ],
    [
      'a port name is not a lowercase port name',
      { ports: [{ port: 8080, name: 'http-frontend-v2-blue' }] },
      'mesh:apps.shop.web.ports.0.name: must be a lowercase port name of at most 15 characters such as http-v2, got string "http-frontend-v2-blue"',
    ],
    [
      'a port name does not start with its protocol',
      { ports: [{ port: 8080, name: 'web' }] },
      'mesh:apps.shop.web.ports.0.name: port name "web" does not start with its protocol http, so Istio would read another protocol or plain TCP from it; use http or http-<suffix>, such as http-8080',
    ],
    [
      'an env variable name is not one',
      { env: { 'LOG-LEVEL': 'debug' } },
      'mesh:apps.shop.web.env.LOG-LEVEL: key must be an environment variable name such as LOG_LEVEL (letters, digits and _, not starting with a digit), got string "LOG-LEVEL"',
    ],
    [
      'an abTesting header name is not lowercase',
      { release: { strategy: 'abTesting', headers: { 'X-Canary': 'true' } } },
      'mesh:apps.shop.web.release.headers.X-Canary: key must be a lowercase header name such as end-user, got string "X-Canary"',
    ],
    [
      'a fault header name is not lowercase',
      { resilience: { faults: { abort: { httpStatus: 503, percentage: 10 }, header: { name: 'End-User', value: 'jason' } } } },
      'mesh:apps.shop.web.resilience.faults.header.name: must be a lowercase header name such as end-user, got string "End-User"',
    ],
    [
      'a call is not an app name',
      { calls: ['catalog/shop'] },
      'mesh:apps.shop.web.calls.0: must be an app name such as catalog, or name.namespace such as catalog.shop, got string "catalog/shop"',
    ],
    ['an app calls itself', { calls: ['web'] }, 'mesh:apps.shop.web.calls.0: an app does not call itself; remove it'],
    [
      'an exposed host is a URL',
      { expose: { hosts: ['https://shop.localhost'] } },
      'mesh:apps.shop.web.expose.hosts.0: must be a DNS name such as shop.example.com (lowercase, no scheme, port or path), got string "https://shop.localhost"',
    ],
    [
      'a retry condition is not one of Istio',
      { resilience: { retries: { attempts: 2, retryOn: ['sometimes'] } } },
      'mesh:apps.shop.web.resilience.retries.retryOn.0: must be a retry condition: one of 5xx, gateway-error,',
    ],
    [
      'autoscaling has maxReplicas below minReplicas',
      { autoscaling: { minReplicas: 3, maxReplicas: 2, cpuUtilization: 80 } },
      'mesh:apps.shop.web.autoscaling.maxReplicas: maxReplicas 2 is below minReplicas 3; raise maxReplicas to at least 3 or lower minReplicas',
    ],
    [
      'a mounted Secret name is not a DNS name',
      { secretMounts: [{ secretName: 'Web_TLS', mountPath: '/tls' }] },
      'mesh:apps.shop.web.secretMounts.0.secretName: must be a Secret name such as web-tls (lowercase letters, digits, - and .), got string "Web_TLS"',
    ],
    [
      'a version name is not a DNS label',
      {
        versions: [
          { name: 'V1', weight: 50 },
          { name: 'v2', weight: 50 },
        ],
      },
      'mesh:apps.shop.web.versions.0.name: must be a DNS-1123 label (lowercase letters, digits and -), got string "V1"',
    ],
    [
      'a version is named twice',
      {
        versions: [
          { name: 'v1', weight: 50 },
          { name: 'v1', weight: 50 },
        ],
      },
      'mesh:apps.shop.web.versions.1.name: version "v1" is named twice; give each version its own name',
    ],
    [
      "a version's port is not a port of the app",
      {
        versions: [
          { name: 'v1', weight: 50, port: 9090 },
          { name: 'v2', weight: 50 },
        ],
      },
      'mesh:apps.shop.web.versions.0.port: port 9090 is not a port of the app (ports: 8080); use one of them, or add it to ports',
    ],
    [
      "a probe's port is not a container port",
      { probes: { readiness: { httpGet: { path: '/', port: 9999 } } } },
      "mesh:apps.shop.web.probes.readiness.httpGet.port: port 9999 is not a container port of the app (container ports: 8080); use one of them, or leave port out for the app's first HTTP port",
    ],
    [
      'faults come with a Flagger release',
      { release: { strategy: 'canary' }, resilience: { faults: { abort: { httpStatus: 503, percentage: 10 } } } },
      "mesh:apps.shop.web.resilience.faults: cannot be combined with release strategy canary: Flagger owns the app's routing and its Canary has no fault injection; remove resilience.faults or set release.strategy: rolling",
    ],
  ])('fails when %s', (_, settings, message) => {
    expect(problems({ shop: { web: { ...web, ...settings } } })).toContainEqual(expect.stringContaining(`Pulumi.dev.yaml: ${message}`));
  });
});

describe('the README', () => {
  test('its mesh:apps example parses and renders the apps it declares', () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const block = /### Your own apps: `mesh:apps`[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const config = parseEnvironment('dev', { ...NO_DEMOS, ...YAML.parse(block!).config }, 'Pulumi.dev.yaml');
    expect(Object.keys(config.apps.shop)).toEqual(['web', 'catalog', 'cart']);
    const objects = renderCharts(buildPlatform(config)).flatMap((c) => c.objects);
    expect(find(objects, 'Canary', 'web').spec.service).toMatchObject({ hosts: ['shop.localhost'] });
    expect(find(objects, 'HorizontalPodAutoscaler', 'catalog').spec).toMatchObject({ minReplicas: 2, maxReplicas: 6 });
    expect(find(objects, 'Deployment', 'cart').spec.template.spec.containers[0].env).toContainEqual({ name: 'LOG_LEVEL', value: 'info' });
    const edges = allowedEdges(accessMatrix(objects)).filter((e) => e.split(' -> ')[0] !== e.split(' -> ')[1]);
    expect(edges).toEqual(['shop/cart -> shop/catalog', 'shop/web -> shop/cart', 'shop/web -> shop/catalog']);
  });

  test('its error example is the error the parser writes', () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const line = /error: (Pulumi\.dev\.yaml: mesh:apps\.shop\.web\.calls\.1: .*)/.exec(readme)![1];
    const web = { image: 'web:1', ports: [{ port: 8080 }], calls: ['catalog', 'payments'] };
    const catalog = { image: 'catalog:1', ports: [{ port: 8080 }] };
    expect(configProblems(() => shopEnvironment({ shop: { web, catalog } }))).toEqual([line]);
  });
});
