import { PRODUCTION_REQUIRED } from '../../support/production';
import { ApiObject, JsonPatch } from 'cdk8s';
import { meshWarnings, ResilientRoute } from '../../../constructs';
import { parseEnvironment, presets, resilienceDefaults } from '../../../stacks/environments';
import { buildPlatform } from '../../../stacks/composition/platform';
import { UserAppsChart } from '../../../stacks/composition/apps';
import { renderCharts } from '../../../stacks/engines/render';
import { configProblems } from '../../support/config-problems';
import { DEMO_OPT_IN } from '../../support/demo-opt-in';

const problems = configProblems;

describe('mesh:resilience configuration', () => {
  test('each tier has defaults; production refuses faults', () => {
    expect(presets.development.resilience).toMatchObject({ timeout: '30s', allowFaults: true });
    expect(presets.staging.resilience.allowFaults).toBe(true);
    expect(presets.production.resilience).toMatchObject({
      timeout: '15s',
      retries: { attempts: 2, perTryTimeout: '5s' },
      allowFaults: false,
    });
  });

  test('a file overrides single keys; the rest comes from the tier', () => {
    const config = parseEnvironment(
      'prod',
      { ...PRODUCTION_REQUIRED, 'mesh:resilience': { allowFaults: true, retries: { attempts: 1 } } },
      'Pulumi.prod.yaml',
    );
    expect(config.resilience).toMatchObject({ timeout: '15s', allowFaults: true, retries: { attempts: 1, perTryTimeout: '5s' } });
  });

  test('the section becomes route defaults with durations and retry conditions', () => {
    const d = resilienceDefaults(presets.production.resilience);
    expect(d.timeout!.toMilliseconds()).toBe(15000);
    expect(d.retries!.perTryTimeout!.toMilliseconds()).toBe(5000);
    expect(d.retries!.retryOn!.map(String)).toEqual(['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'gateway-error']);
    expect(d.outlierDetection!.baseEjectionTime!.toMilliseconds()).toBe(30000);
    expect(d).toMatchObject({ allowFaults: false, allowFaultsSetting: 'mesh:resilience.allowFaults: true' });
  });

  test('minHealthPercent is optional and reaches the route defaults', () => {
    const config = parseEnvironment(
      'prod',
      { ...PRODUCTION_REQUIRED, 'mesh:resilience': { outlierDetection: { minHealthPercent: 50 } } },
      'Pulumi.prod.yaml',
    );
    expect(resilienceDefaults(config.resilience).outlierDetection).toMatchObject({ maxEjectionPercent: 30, minHealthPercent: 50 });
    expect(resilienceDefaults(presets.production.resilience).outlierDetection!.minHealthPercent).toBeUndefined();
  });

  test('fails when an ejection percentage is not a whole percentage', () => {
    expect(
      problems(() =>
        parseEnvironment(
          'dev',
          { 'mesh:resilience': { outlierDetection: { maxEjectionPercent: 12.5, minHealthPercent: 101 } } },
          'Pulumi.dev.yaml',
        ),
      ),
    ).toEqual([
      expect.stringMatching(/mesh:resilience\.outlierDetection\.maxEjectionPercent: expected int, got number 12\.5/),
      expect.stringMatching(/mesh:resilience\.outlierDetection\.minHealthPercent: .*<=100, got number 101/),
    ]);
  });

  test('fails when a key is unknown', () => {
    expect(problems(() => parseEnvironment('dev', { 'mesh:resilience': { timout: '1s' } }, 'Pulumi.dev.yaml'))).toEqual([
      expect.stringMatching(/^Pulumi\.dev\.yaml: mesh:resilience\.timout: unknown key; did you mean 'timeout'\?/),
    ]);
  });

  test('fails when a duration is not one, or under 1ms', () => {
    const found = problems(() =>
      parseEnvironment('dev', { 'mesh:resilience': { timeout: '1.5 seconds', outlierDetection: { interval: '0s' } } }, 'Pulumi.dev.yaml'),
    );
    expect(found).toEqual([
      expect.stringMatching(
        /mesh:resilience\.timeout: must be a duration of at least 1ms in one unit, such as 500ms, 2s or 3m, got string "1.5 seconds"/,
      ),
      expect.stringMatching(/mesh:resilience\.outlierDetection\.interval: must be a duration .*, got string "0s"/),
    ]);
  });

  test('fails when perTryTimeout exceeds the timeout', () => {
    expect(
      problems(() =>
        parseEnvironment('dev', { 'mesh:resilience': { timeout: '2s', retries: { perTryTimeout: '3s' } } }, 'Pulumi.dev.yaml'),
      ),
    ).toEqual([
      expect.stringMatching(
        /mesh:resilience\.retries\.perTryTimeout: perTryTimeout 3s exceeds timeout 2s, so no attempt could use it; lower it to at most the timeout/,
      ),
    ]);
  });

  test('fails when a retry condition is not one of Istio', () => {
    expect(
      problems(() => parseEnvironment('dev', { 'mesh:resilience': { retries: { retryOn: ['5xx', 'timeout'] } } }, 'Pulumi.dev.yaml')),
    ).toEqual([
      expect.stringMatching(
        /mesh:resilience\.retries\.retryOn\.1: string "timeout" is not allowed; expected one of 5xx, gateway-error, reset, reset-before-request, connect-failure, .*, unavailable$/,
      ),
    ]);
  });
});

describe('scenario S4 on the demo httpbin, per environment', () => {
  /** The values of `env` with its demo httpbin: production has none unless it opts in. */
  const withDemo = (env: string, values: Record<string, unknown> = {}) =>
    env === 'prod' ? { ...PRODUCTION_REQUIRED, ...DEMO_OPT_IN, ...values } : values;
  /** The platform of `env`: its S4 route and every rendered object. */
  function platform(env: string, values: Record<string, unknown> = {}) {
    const app = buildPlatform(parseEnvironment(env, withDemo(env, values), `Pulumi.${env}.yaml`));
    return { route: s4Route(app), objects: renderCharts(app).flatMap((c) => c.objects) as any[] };
  }
  /** httpbin's route, built in chart demo-apps like any app's (found by id: cdk8s' Chart answers `instanceof` for any chart class). */
  const s4Route = (app: ReturnType<typeof buildPlatform>) => (app.node.findChild('demo-apps') as UserAppsChart).routes.get('httpbin')!;
  const S4_RETRIES = {
    attempts: 3,
    perTryTimeout: '1s',
    retryOn: '5xx,gateway-error,reset,connect-failure,cancelled,deadline-exceeded,internal,unavailable',
  };
  const S4_OUTLIERS = { consecutive5xxErrors: 1, interval: '1s', baseEjectionTime: '3m', maxEjectionPercent: 100 };

  test.each(['dev', 'staging', 'prod'])('%s: the S4 policy is rendered once, where the routing owner reads it', (env) => {
    const { route, objects } = platform(env);
    const mine = (kind: string) => objects.find((o) => o.kind === kind && o.metadata.name === 'httpbin' && o.metadata.namespace === 'demo');
    const vs = mine('VirtualService');
    if (route.routingController) {
      // httpbin under a CanaryRelease (scenario S3): Flagger owns its routing, the policy is in the Canary.
      const canary = mine('Canary');
      expect(canary.spec.service).toMatchObject({
        timeout: '8s',
        retries: S4_RETRIES,
        trafficPolicy: {
          connectionPool: { http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } },
          outlierDetection: S4_OUTLIERS,
        },
      });
      expect(vs).toBeUndefined();
    } else {
      expect(vs.spec.http.at(-1)).toMatchObject({ name: 'resilience', timeout: '8s', retries: S4_RETRIES });
      expect(mine('DestinationRule').spec.trafficPolicy).toEqual({
        connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } },
        outlierDetection: S4_OUTLIERS,
      });
    }
    // Faults only in a plain VirtualService, and never in production (allowFaults false there).
    expect(JSON.stringify(objects).includes('x-fault-test')).toBe(env !== 'prod' && !route.routingController);
  });

  test.each([
    ['dev', 'TCP maxConnections 1 and the header-scoped faults'],
    ['prod', 'TCP maxConnections 1'],
  ])('%s: a canaried httpbin says which parts of S4 cannot be applied', (env, left) => {
    const app = buildPlatform(parseEnvironment(env, withDemo(env), `Pulumi.${env}.yaml`));
    expect(meshWarnings(app).filter((w) => w.startsWith('demo-apps/'))).toEqual([
      `demo-apps/httpbin-route: scenario S4's ${left} cannot be applied: demo-apps/httpbin-release owns the routing of 'httpbin' and Flagger's Canary carries no TCP connection pool nor faults; the rest of S4 is in the Canary's spec.service. Without the CanaryRelease (mesh:canary.httpbinCanary.enabled: false) S4 renders in full`,
    ]);
    const plain = buildPlatform(
      parseEnvironment(env, withDemo(env, { 'mesh:canary': { httpbinCanary: { enabled: false } } }), `Pulumi.${env}.yaml`),
    );
    expect(meshWarnings(plain).filter((w) => w.startsWith('demo-apps/'))).toEqual([]);
    const dr = renderCharts(plain)
      .flatMap((c) => c.objects)
      .find((o: any) => o.kind === 'DestinationRule' && o.metadata.name === 'httpbin' && o.metadata.namespace === 'demo') as any;
    expect(dr.spec.trafficPolicy.connectionPool.tcp).toEqual({ maxConnections: 1 });
  });

  test.each(['dev', 'staging', 'prod'])(
    "%s: S4's misplaced original patched into the object carrying the policy fails the synth",
    (env) => {
      const app = buildPlatform(parseEnvironment(env, withDemo(env), `Pulumi.${env}.yaml`));
      const route = s4Route(app);
      const carrier = route.routingController
        ? route.routingController.node.findAll().find((c): c is ApiObject => c instanceof ApiObject && c.kind === 'Canary')!
        : route.destinationRule!;
      const field = route.routingController ? '/spec/service/trafficPolicy' : '/spec/trafficPolicy';
      carrier.addJsonPatch(
        JsonPatch.add(`${field}/connectionPool/outlierDetection`, {
          consecutiveErrors: 1,
          interval: '1s',
          baseEjectionTime: '3m',
          maxEjectionPercent: 100,
        }),
      );
      expect(() => renderCharts(app)).toThrow(
        `connectionPool.outlierDetection is misplaced: a cluster drops it silently and circuit breaking is off; move it up to ${field.slice(1).replace(/\//g, '.')}.outlierDetection`,
      );
    },
  );

  /** The demo httpbin alone (no canary) in namespace shop of an environment of `tier` (`resilience`: its mesh:resilience). */
  function standalone(tier: 'development' | 'production', resilience?: Record<string, unknown>) {
    const values = {
      ...(tier === 'production' ? PRODUCTION_REQUIRED : {}),
      'mesh:demo': { namespace: 'shop', apps: ['httpbin'] },
      'mesh:canary': { httpbinCanary: { enabled: false }, weightedSplit: { enabled: false } },
      ...(resilience ? { 'mesh:resilience': resilience } : {}),
    };
    const app = buildPlatform(parseEnvironment(tier === 'production' ? 'prod' : 'dev', values, 'Pulumi.yaml'));
    const chart = app.node.findChild('demo-apps') as UserAppsChart;
    const objects = renderCharts(app).find((c) => c.id === 'demo-apps')!.objects as any[];
    return { chart, route: chart.routes.get('httpbin')!, objects };
  }

  test('a plain httpbin in development: S4 policy plus header-scoped faults', () => {
    const vs = standalone('development').objects.find((o) => o.kind === 'VirtualService' && o.metadata.name === 'httpbin');
    expect(vs.spec.http.map((r: any) => r.name)).toEqual(['fault-injection', 'resilience']);
    expect(vs.spec.http[0]).toMatchObject({
      match: [{ headers: { 'x-fault-test': { exact: 'true' } } }],
      fault: { abort: { httpStatus: 503, percentage: { value: 50 } } },
      timeout: '8s',
    });
    expect(vs.spec.http[1]).toMatchObject({ timeout: '8s', retries: S4_RETRIES });
  });

  test('fails when a route injects faults in production, naming the config key that allows them', () => {
    const { chart, route } = standalone('development');
    const httpbin = route.app;
    const production = resilienceDefaults(parseEnvironment('prod', { ...PRODUCTION_REQUIRED }, 'Pulumi.prod.yaml').resilience);
    expect(
      () =>
        new ResilientRoute(chart, 'faulty', { app: httpbin, defaults: production, faults: { abort: { httpStatus: 503, percentage: 10 } } }),
    ).toThrow(
      "ResilientRoute demo-apps/faulty: fault injection is not allowed in this environment (faults hit real traffic there); remove 'faults', or allow them explicitly with mesh:resilience.allowFaults: true in the environment's Pulumi.<env>.yaml",
    );
  });

  test('a plain httpbin in production: no faults, unless allowFaults is set explicitly', () => {
    const httpbinRoute = (objects: any[]) => objects.find((o) => o.kind === 'VirtualService' && o.metadata.name === 'httpbin');
    const prod = standalone('production').objects;
    expect(httpbinRoute(prod).spec.http.map((r: any) => r.name)).toEqual(['resilience']);
    // (Its route's objects: the Deployment's seccomp profile RuntimeDefault would match 'fault'.)
    expect(JSON.stringify(prod.filter((o) => ['VirtualService', 'DestinationRule'].includes(o.kind)))).not.toContain('fault');
    expect(httpbinRoute(standalone('production', { allowFaults: true }).objects).spec.http[0].name).toBe('fault-injection');
  });

  test("httpbin's route renders in the apps layer, in its namespace, with production's effective timeout", () => {
    const { chart, route, objects } = standalone('production');
    expect(chart.layer).toBe('apps');
    expect(
      objects
        .filter((o) => ['VirtualService', 'DestinationRule'].includes(o.kind) && o.metadata.name === 'httpbin')
        .map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`),
    ).toEqual(['VirtualService shop/httpbin', 'DestinationRule shop/httpbin']);
    expect(route.effectiveTimeout!.toMilliseconds()).toBe(3000);
  });
});
