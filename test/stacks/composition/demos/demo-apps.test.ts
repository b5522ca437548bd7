import { PRODUCTION_REQUIRED } from '../../../support/production';
import * as path from 'node:path';
import { PUBLIC_GATEWAY_REFERENCE } from '../../../../charts';
import {
  bookinfoApps,
  DEMO_IMAGES,
  DemoApp,
  demoExternalServices,
  HTTPBIN_APP,
  HTTPBIN_ORG,
  s4Resilience,
  sleepApp,
  weightedCanaryApp,
} from '../../../../stacks/composition/demos';
import { appsSchema } from '../../../../stacks/environments/apps';
import { UserAppsChart } from '../../../../stacks/composition/apps';
import { EnvironmentConfig, loadEnvironmentFile, parseEnvironment, presets } from '../../../../stacks/environments';
import { buildPlatform } from '../../../../stacks/composition/platform';
import { renderCharts } from '../../../../stacks/engines/render';
import { prodWithDemos } from '../../../support/demo-opt-in';
import { REPO_ROOT } from '../../../support/shared-dir';

/** Rendered objects of an environment, by chart id. */
function charts(config: EnvironmentConfig): Map<string, any[]> {
  return new Map(renderCharts(buildPlatform(config)).map((c) => [c.id, c.objects as any[]]));
}
const NO_OTHER_DEMOS = { httpbinCanary: { enabled: false }, weightedSplit: { enabled: false } };
/** dev with only the demo apps listed (no canary, no weighted split). */
function devWith(apps: DemoApp[], extra: Record<string, unknown> = {}) {
  return parseEnvironment('dev', { 'mesh:demo': { apps }, 'mesh:canary': NO_OTHER_DEMOS, ...extra }, 'Pulumi.dev.yaml');
}
const find = (objects: any[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

describe('the S2 demo apps, built as ordinary apps (chart demo-apps)', () => {
  const platform = buildPlatform(devWith(['httpbin', 'sleep']));
  const objects = renderCharts(platform).find((c) => c.id === 'demo-apps')!.objects as any[];
  const chart = platform.node.findChild('demo-apps') as UserAppsChart;

  test('they are a chart of the apps mechanism: a UserAppsChart of namespace demo', () => {
    expect(chart).toBeInstanceOf(UserAppsChart);
    expect([...chart.apps.keys()]).toEqual(['httpbin', 'sleep']);
  });

  test('namespace demo with sidecar injection', () => {
    expect(find(objects, 'Namespace', 'demo')).toMatchObject({ metadata: { labels: { 'istio-injection': 'enabled' } } });
  });

  test('httpbin: ServiceAccount, Service port 8000 named http to the container port, labels app and version', () => {
    expect(find(objects, 'ServiceAccount', 'httpbin')).toBeDefined();
    expect(find(objects, 'Service', 'httpbin').spec.ports).toEqual([{ name: 'http', port: 8000, targetPort: 8080, protocol: 'TCP' }]);
    const deploy = find(objects, 'Deployment', 'httpbin');
    expect(deploy.spec.template.metadata.labels).toEqual({ app: 'httpbin', version: 'v1' });
    expect(deploy.spec.template.spec.containers[0]).toMatchObject({
      image: DEMO_IMAGES.httpbin,
      ports: [{ containerPort: 8080 }],
      readinessProbe: { httpGet: { path: '/status/200', port: 8080 } },
    });
    expect(DEMO_IMAGES.httpbin).toMatch(/mccutchen\/go-httpbin:v\d/);
  });

  test('sleep: its own ServiceAccount, Service port 80 named http, a curl client sleeping forever, the optional TLS secret', () => {
    expect(find(objects, 'ServiceAccount', 'sleep')).toBeDefined();
    expect(find(objects, 'Service', 'sleep').spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 80, protocol: 'TCP' }]);
    const pod = find(objects, 'Deployment', 'sleep').spec.template.spec;
    expect(pod.containers[0]).toMatchObject({ image: DEMO_IMAGES.sleep, command: ['/bin/sleep', 'infinity'] });
    expect(pod.containers[0].readinessProbe).toMatchObject({ exec: { command: ['/bin/true'] } });
    expect(pod.volumes).toContainEqual({ name: 'secret-0', secret: { secretName: 'sleep-secret', optional: true } });
    expect(pod.containers[0].volumeMounts).toContainEqual({ mountPath: '/etc/sleep/tls', name: 'secret-0', readOnly: true });
  });

  test('sleep calls httpbin (the dependency the security policies are generated from)', () => {
    expect(chart.apps.get('sleep')!.dependencies).toEqual([chart.apps.get('httpbin')]);
  });

  test('deploys only the apps asked for', () => {
    const only = charts(devWith(['httpbin'])).get('demo-apps')!;
    expect(find(only, 'Deployment', 'sleep')).toBeUndefined();
    expect(find(only, 'Deployment', 'httpbin')).toBeDefined();
    expect(charts(devWith(['bookinfo'])).has('demo-apps')).toBe(false);
  });

  test('a user declaring the same apps in mesh:apps gets the same objects (namespace aside)', () => {
    const declared = {
      'demo-copy': {
        httpbin: { ...HTTPBIN_APP, resilience: s4Resilience({ canaried: false, allowFaults: true }) },
        sleep: sleepApp(true),
      },
    };
    // sleep calls httpbin.org: the environment must list it (the demo's own is added only where sleep is deployed).
    const user = charts(devWith([], { 'mesh:apps': declared, 'mesh:egress': { services: [HTTPBIN_ORG] } })).get('user-apps-demo-copy')!;
    const inDemo = (o: any[]) => JSON.parse(JSON.stringify(o).replaceAll('demo-copy', 'demo'));
    expect(inDemo(user)).toEqual(objects);
  });
});

describe('the demo declarations are valid mesh:apps entries', () => {
  test('they pass the schema of mesh:apps', () => {
    const parsed = appsSchema.safeParse({ demo: { httpbin: HTTPBIN_APP, sleep: sleepApp(true) } });
    expect(parsed.success).toBe(true);
  });

  test('fails when two demos share a namespace, naming both keys', () => {
    expect(() =>
      buildPlatform(parseEnvironment('dev', { 'mesh:canary': { weightedSplit: { namespace: 'demo' } } }, 'Pulumi.dev.yaml')),
    ).toThrow(
      "weighted-canary: mesh:canary.weightedSplit.namespace 'demo' is mesh:demo.namespace too, where the demo-apps demo already is; give each demo a namespace of its own",
    );
    expect(() =>
      buildPlatform(parseEnvironment('dev', { 'mesh:canary': { bookinfo: { namespace: 'canary' } } }, 'Pulumi.dev.yaml')),
    ).toThrow(
      "bookinfo: mesh:canary.bookinfo.namespace 'canary' is mesh:canary.weightedSplit.namespace too, where the weighted-canary demo already is",
    );
  });

  test("S7's weighted split declared by a user in mesh:apps gets the same objects", () => {
    const split = { enabled: true, namespace: 'canary', weights: { v1: 80, v2: 20 } };
    const demo = charts(devWith([], { 'mesh:canary': { ...NO_OTHER_DEMOS, weightedSplit: split } })).get('weighted-canary')!;
    // Without a public host the gateway is not consulted.
    const declared = { 'canary-copy': { httpbin: weightedCanaryApp({ weights: split.weights, gateway: PUBLIC_GATEWAY_REFERENCE }) } };
    const user = charts(devWith([], { 'mesh:apps': declared })).get('user-apps-canary-copy')!;
    expect(JSON.parse(JSON.stringify(user).replaceAll('canary-copy', 'canary'))).toEqual(demo);
    expect(demo.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name)).toEqual(['httpbin-v1', 'httpbin-v2']);
  });

  test.each(['reviews-canary', 'jason-v2'] as const)('bookinfo (%s) declared by a user in mesh:apps gets the same objects', (routing) => {
    const bookinfo = { routing, istioMutualTls: routing === 'jason-v2' };
    const demo = charts(devWith(['bookinfo'], { 'mesh:canary': { ...NO_OTHER_DEMOS, bookinfo } })).get('bookinfo')!;
    const declared = { 'bookinfo-copy': bookinfoApps({ ...bookinfo, replicas: 1 }) };
    const user = charts(devWith([], { 'mesh:apps': declared })).get('user-apps-bookinfo-copy')!;
    expect(JSON.parse(JSON.stringify(user).replaceAll('bookinfo-copy', 'bookinfo'))).toEqual(demo);
    expect(demo.filter((o) => o.kind === 'Deployment').length).toBe(routing === 'reviews-canary' ? 4 : 6);
  });
});

describe('demo apps are opt-in per environment', () => {
  /** Every object of an environment, with the ids of the charts that rendered some. */
  function platform(config: EnvironmentConfig) {
    const charts = renderCharts(buildPlatform(config));
    return { objects: charts.flatMap((c) => c.objects) as any[], charts: charts.filter((c) => c.objects.length > 0).map((c) => c.id) };
  }
  /** What the demos leave behind: their charts, namespaces, objects, egress entries and names. */
  function demoTraces({ objects, charts }: ReturnType<typeof platform>) {
    return {
      charts: charts.filter((id) => ['demo-apps', 'bookinfo', 'weighted-canary'].includes(id)),
      namespaces: objects
        .filter((o) => o.kind === 'Namespace')
        .map((o) => o.metadata.name)
        .filter((n) => ['demo', 'bookinfo', 'canary'].includes(n)),
      inDemoNamespaces: objects
        .filter((o) => ['demo', 'bookinfo', 'canary'].includes(o.metadata.namespace))
        .map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`),
      serviceEntries: objects
        .filter((o) => o.kind === 'ServiceEntry')
        .map((o) => o.spec.hosts)
        .flat(),
      canaries: objects.filter((o) => o.kind === 'Canary').map((o) => o.metadata.name),
      mentions: ['httpbin', 'sleep', 'productpage'].filter((word) => JSON.stringify(objects).includes(word)),
    };
  }
  const NOTHING = { charts: [], namespaces: [], inDemoNamespaces: [], serviceEntries: [], canaries: [], mentions: [] };

  test("production's preset deploys none: no demo namespace, no egress to httpbin.org, no httpbin canary, no S4 resilience demo", () => {
    expect(presets.production.demo.apps).toEqual([]);
    expect(presets.production.canary.httpbinCanary.enabled).toBe(false);
    expect(demoTraces(platform(parseEnvironment('prod', { ...PRODUCTION_REQUIRED }, 'Pulumi.prod.yaml')))).toEqual(NOTHING);
  });

  test('Pulumi.prod.yaml deploys none either', () => {
    expect(demoTraces(platform(loadEnvironmentFile(path.join(REPO_ROOT, 'Pulumi.prod.yaml'))))).toEqual(NOTHING);
  });

  test('an environment whose tier has demos turns every one of them off', () => {
    const off = { 'mesh:demo': { apps: [] }, 'mesh:canary': { httpbinCanary: { enabled: false }, weightedSplit: { enabled: false } } };
    expect(demoTraces(platform(parseEnvironment('dev', off, 'Pulumi.dev.yaml')))).toEqual(NOTHING);
  });

  test('opted in, production gets them with what they need: the demo namespace, httpbin.org through the egress gateway, the gated canary, S4', () => {
    const rendered = platform(prodWithDemos());
    // httpbin's canary (S3) and resilience (S4, rendered into the Canary) are settings of the app, in its chart.
    expect(demoTraces(rendered)).toMatchObject({
      charts: ['demo-apps'],
      namespaces: ['demo'],
      serviceEntries: ['httpbin.org'],
      canaries: ['httpbin'],
    });
    const canary = rendered.objects.find((o) => o.kind === 'Canary' && o.metadata.name === 'httpbin');
    expect(canary.spec.service).toMatchObject({ timeout: '8s', retries: { attempts: 3, perTryTimeout: '1s' } });
    expect(canary.spec.analysis.webhooks.map((w: any) => w.type)).toContain('confirm-promotion');
    expect(
      rendered.objects.find((o) => o.kind === 'VirtualService' && o.metadata.name === 'httpbin-org-through-egress-gateway'),
    ).toBeDefined();
  });

  test('httpbin.org is allowed for the client that calls it (sleep), and listed once when the environment lists it too', () => {
    expect(demoExternalServices(['httpbin', 'sleep'])).toEqual([HTTPBIN_ORG]);
    expect(demoExternalServices(['httpbin', 'bookinfo'])).toEqual([]);
    const own = { name: 'httpbin-org', hosts: ['httpbin.org'], ports: [{ port: 443, protocol: 'HTTPS' }] };
    const objects = platform(parseEnvironment('dev', { 'mesh:egress': { services: [own] } }, 'Pulumi.dev.yaml')).objects;
    expect(objects.filter((o) => o.kind === 'ServiceEntry').map((o) => o.spec.ports)).toEqual([
      [{ number: 443, name: 'https-443', protocol: 'HTTPS' }],
    ]);
  });

  test('only bookinfo: its own chart, no demo namespace for httpbin and sleep', () => {
    const traces = demoTraces(
      platform(
        parseEnvironment(
          'dev',
          { 'mesh:demo': { apps: ['bookinfo'] }, 'mesh:canary': { httpbinCanary: { enabled: false }, weightedSplit: { enabled: false } } },
          'Pulumi.dev.yaml',
        ),
      ),
    );
    expect(traces).toMatchObject({ charts: ['bookinfo'], namespaces: ['bookinfo'], serviceEntries: [] });
  });

  test('the httpbin canary without the demo httpbin fails, naming both keys', () => {
    expect(() =>
      buildPlatform(
        parseEnvironment('prod', { ...PRODUCTION_REQUIRED, 'mesh:canary': { httpbinCanary: { enabled: true } } }, 'Pulumi.prod.yaml'),
      ),
    ).toThrow(
      "httpbin-canary: mesh:canary.httpbinCanary.enabled needs the demo httpbin; add 'httpbin' to mesh:demo.apps or disable the canary",
    );
  });
});
