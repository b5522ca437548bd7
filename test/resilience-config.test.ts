import { Testing } from 'cdk8s';
import { DemoAppsChart, ResilienceDemoChart } from '../charts';
import { ConfigError, parseEnvironment, presets, resilienceDefaults } from '../stacks/config';
import { buildPlatform } from '../stacks/platform';
import { renderCharts } from '../stacks/render';

/** Problems `fn` reports as a ConfigError. */
function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  throw new Error('expected a ConfigError');
}

/** The objects of chart `id` when the platform is built for `env` with `values`. */
function chartObjects(env: string, values: Record<string, unknown>, id = 'resilience-demo') {
  return renderCharts(buildPlatform(parseEnvironment(env, values, `Pulumi.${env}.yaml`))).find((c) => c.id === id)?.objects ?? [];
}

describe('mesh:resilience configuration', () => {
  test('each tier has defaults; production refuses faults', () => {
    expect(presets.development.resilience).toMatchObject({ timeout: '30s', allowFaults: true });
    expect(presets.staging.resilience.allowFaults).toBe(true);
    expect(presets.production.resilience).toMatchObject({ timeout: '15s', retries: { attempts: 2, perTryTimeout: '5s' }, allowFaults: false });
  });

  test('a file overrides single keys; the rest comes from the tier', () => {
    const config = parseEnvironment('prod', { 'mesh:resilience': { allowFaults: true, retries: { attempts: 1 } } }, 'Pulumi.prod.yaml');
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

  test('fails when a key is unknown', () => {
    expect(problems(() => parseEnvironment('dev', { 'mesh:resilience': { timout: '1s' } }, 'Pulumi.dev.yaml'))).toEqual([
      expect.stringMatching(/^Pulumi\.dev\.yaml: mesh:resilience\.timout: unknown key; did you mean 'timeout'\?/),
    ]);
  });

  test('fails when a duration is not one, or under 1ms', () => {
    const found = problems(() => parseEnvironment('dev', { 'mesh:resilience': { timeout: '1.5 seconds', outlierDetection: { interval: '0s' } } }, 'Pulumi.dev.yaml'));
    expect(found).toEqual([
      expect.stringMatching(/mesh:resilience\.timeout: must be a duration of at least 1ms in one unit, such as 500ms, 2s or 3m, got string "1.5 seconds"/),
      expect.stringMatching(/mesh:resilience\.outlierDetection\.interval: must be a duration .*, got string "0s"/),
    ]);
  });

  test('fails when perTryTimeout exceeds the timeout', () => {
    expect(problems(() => parseEnvironment('dev', { 'mesh:resilience': { timeout: '2s', retries: { perTryTimeout: '3s' } } }, 'Pulumi.dev.yaml'))).toEqual([
      expect.stringMatching(/mesh:resilience\.retries\.perTryTimeout: perTryTimeout 3s exceeds timeout 2s, so no attempt could use it; lower it to at most the timeout/),
    ]);
  });

  test('fails when a retry condition is not one of Istio', () => {
    expect(problems(() => parseEnvironment('dev', { 'mesh:resilience': { retries: { retryOn: ['5xx', 'timeout'] } } }, 'Pulumi.dev.yaml'))).toEqual([
      expect.stringMatching(/mesh:resilience\.retries\.retryOn\.1: string "timeout" is not allowed; expected one of 5xx, gateway-error, reset, connect-failure/),
    ]);
  });
});

describe('scenario S4 on the demo httpbin, per environment', () => {
  test('dev: S4 policy plus header-scoped faults', () => {
    const objects = chartObjects('dev', {});
    const vs = objects.find((o) => o.kind === 'VirtualService') as any;
    expect(vs.spec.http.map((r: any) => r.name)).toEqual(['fault-injection', 'resilience']);
    expect(vs.spec.http[0]).toMatchObject({ match: [{ headers: { 'x-fault-test': { exact: 'true' } } }], fault: { abort: { httpStatus: 503 } } });
    expect(vs.spec.http[1]).toMatchObject({
      timeout: '8s',
      retries: { attempts: 3, perTryTimeout: '1s', retryOn: '5xx,gateway-error,reset,connect-failure,cancelled,deadline-exceeded,internal,unavailable' },
    });
  });

  test('prod: the same policy without faults; with allowFaults set explicitly, faults too', () => {
    const prod = chartObjects('prod', {});
    const vs = prod.find((o) => o.kind === 'VirtualService') as any;
    expect(vs.spec.http.map((r: any) => r.name)).toEqual(['resilience']);
    expect(JSON.stringify(prod)).not.toContain('fault');
    const dr = prod.find((o) => o.kind === 'DestinationRule') as any;
    expect(dr.spec.trafficPolicy).toEqual({
      connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } },
      outlierDetection: { consecutive5xxErrors: 1, interval: '1s', baseEjectionTime: '3m', maxEjectionPercent: 100 },
    });
    const allowed = chartObjects('prod', { 'mesh:resilience': { allowFaults: true } }).find((o) => o.kind === 'VirtualService') as any;
    expect(allowed.spec.http[0].name).toBe('fault-injection');
  });

  test('the chart takes the demo chart httpbin and renders in the apps layer, in its namespace', () => {
    const app = Testing.app();
    const demo = new DemoAppsChart(app, 'demo-apps', { namespace: 'shop', apps: ['httpbin'], workloads: presets.development.workloads });
    const chart = new ResilienceDemoChart(app, 'resilience-demo', { httpbin: demo.httpbin!, defaults: resilienceDefaults(presets.production.resilience) });
    expect(chart.layer).toBe('apps');
    expect(Testing.synth(chart).map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['VirtualService shop/httpbin', 'DestinationRule shop/httpbin']);
    expect(chart.route.effectiveTimeout!.toMilliseconds()).toBe(3000);
  });
});
