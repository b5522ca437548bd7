import { ApiObject, Duration, JsonPatch, Testing } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { Layer, LayerChart } from '../../../charts';
import { DestinationRuleSpecTrafficPolicyLoadBalancerSimple } from '../../../imports/networking.istio.io';
import {
  GrpcStatus,
  IMeshGateway,
  IRoutingController,
  ITrafficPolicySource,
  LoadBalancer,
  MeshApp,
  meshWarnings,
  Protocol,
  ResilienceDefaults,
  ResilientRoute,
  ResilientRouteProps,
  RetryOn,
  ServiceTrafficSettings,
  StringMatch,
} from '../../../constructs';
import { renderCharts } from '../../../stacks/engines/render';
import { ISTIO_API_GROUPS } from '../../../constructs';

const HTTPBIN = 'docker.io/mccutchen/go-httpbin:v2.15.0';

function setup() {
  const app = Testing.app();
  const chart = new LayerChart(app, 'routes', { layer: Layer.APPS, namespace: 'demo' });
  const httpbin = new MeshApp(chart, 'httpbin', { image: HTTPBIN, ports: [{ port: 8000, targetPort: 8080 }] });
  return { app, chart, httpbin };
}

/** A route on httpbin with `props`, and the chart's objects. */
function route(props: Partial<ResilientRouteProps> = {}) {
  const { app, chart, httpbin } = setup();
  const r = new ResilientRoute(chart, 'route', { app: httpbin, ...props });
  const objects = Testing.synth(chart);
  const find = (kind: string, name = 'httpbin') => objects.find((o) => o.kind === kind && o.metadata.name === name);
  return { app, chart, httpbin, route: r, objects, vs: find('VirtualService'), dr: find('DestinationRule'), find };
}

/** The message of the error `fn` throws. */
function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

const S4 = {
  timeout: Duration.seconds(8),
  retries: {
    attempts: 3,
    perTryTimeout: Duration.seconds(1),
    retryOn: [RetryOn.FIVE_XX, RetryOn.GATEWAY_ERROR, RetryOn.RESET, RetryOn.CONNECT_FAILURE],
  },
  connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } },
  outlierDetection: {
    consecutive5xxErrors: 1,
    interval: Duration.seconds(1),
    baseEjectionTime: Duration.minutes(3),
    maxEjectionPercent: 100,
  },
} satisfies Partial<ResilientRouteProps>;

describe('ResilientRoute on a plain app: VirtualService + DestinationRule', () => {
  test('S4: route to httpbin port 8000 with timeout and retries', () => {
    const { vs } = route(S4);
    expect(vs).toMatchObject({
      apiVersion: 'networking.istio.io/v1',
      metadata: { name: 'httpbin', namespace: 'demo' },
      spec: {
        hosts: ['httpbin.demo.svc.cluster.local'],
        http: [
          {
            route: [{ destination: { host: 'httpbin.demo.svc.cluster.local', port: { number: 8000 } } }],
            timeout: '8s',
            retries: { attempts: 3, perTryTimeout: '1s', retryOn: '5xx,gateway-error,reset,connect-failure' },
          },
        ],
      },
    });
    expect(vs.spec.gateways).toBeUndefined();
  });

  test('S4: the circuit breaker, with outlierDetection beside connectionPool under trafficPolicy', () => {
    const { dr } = route(S4);
    expect(dr).toMatchObject({
      apiVersion: 'networking.istio.io/v1',
      metadata: { name: 'httpbin', namespace: 'demo' },
      spec: { host: 'httpbin.demo.svc.cluster.local' },
    });
    expect(dr.spec.trafficPolicy).toEqual({
      connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } },
      outlierDetection: { consecutive5xxErrors: 1, interval: '1s', baseEjectionTime: '3m', maxEjectionPercent: 100 },
    });
    expect(JSON.stringify(dr)).not.toContain('consecutiveErrors');
  });

  test('gRPC retry conditions and status codes are rendered by name; connectTimeout, http2MaxRequests, maxRetries', () => {
    const { vs, dr } = route({
      retries: {
        attempts: 2,
        retryOn: [
          RetryOn.RESET_BEFORE_REQUEST,
          RetryOn.CANCELLED,
          RetryOn.DEADLINE_EXCEEDED,
          RetryOn.INTERNAL,
          RetryOn.RESOURCE_EXHAUSTED,
          RetryOn.UNAVAILABLE,
          RetryOn.statusCode(503),
        ],
      },
      connectionPool: { tcp: { connectTimeout: Duration.millis(250) }, http: { http2MaxRequests: 100, maxRetries: 3 } },
    });
    expect(vs.spec.http[0].retries).toEqual({
      attempts: 2,
      retryOn: 'reset-before-request,cancelled,deadline-exceeded,internal,resource-exhausted,unavailable,503',
    });
    expect(dr.spec.trafficPolicy.connectionPool).toEqual({
      tcp: { connectTimeout: '250ms' },
      http: { http2MaxRequests: 100, maxRetries: 3 },
    });
  });

  test('no traffic policy: no DestinationRule', () => {
    const { dr, vs } = route({ timeout: Duration.seconds(2) });
    expect(dr).toBeUndefined();
    expect(vs.spec.http[0].timeout).toBe('2s');
  });

  test.each([
    ['roundRobin', LoadBalancer.roundRobin(), { simple: 'ROUND_ROBIN' }],
    ['leastRequest', LoadBalancer.leastRequest(), { simple: 'LEAST_REQUEST' }],
    ['random', LoadBalancer.random(), { simple: 'RANDOM' }],
    ['consistentHash.byHeader', LoadBalancer.consistentHash.byHeader('x-user'), { consistentHash: { httpHeaderName: 'x-user' } }],
    [
      'consistentHash.byCookie',
      LoadBalancer.consistentHash.byCookie('session', Duration.hours(1), '/'),
      { consistentHash: { httpCookie: { name: 'session', ttl: '1h', path: '/' } } },
    ],
    ['consistentHash.bySourceIp', LoadBalancer.consistentHash.bySourceIp(), { consistentHash: { useSourceIp: true } }],
    [
      'consistentHash.byQueryParameter',
      LoadBalancer.consistentHash.byQueryParameter('user'),
      { consistentHash: { httpQueryParameterName: 'user' } },
    ],
  ])('load balancer %s', (_name, lb, expected) => {
    expect(route({ loadBalancer: lb }).dr.spec.trafficPolicy.loadBalancer).toEqual(expected);
  });

  test('fails when a consistent-hash header or cookie name is not one', () => {
    expect(failure(() => LoadBalancer.consistentHash.byHeader('X-User'))).toMatch(
      /byHeader\('X-User'\): not a lowercase HTTP header name; use e.g. 'x-user-id'/,
    );
    expect(failure(() => LoadBalancer.consistentHash.byCookie('a b', Duration.hours(1)))).toMatch(/'a b'.*not a cookie name/);
    expect(failure(() => LoadBalancer.consistentHash.byQueryParameter('a=b'))).toMatch(
      /byQueryParameter\('a=b'\): not a query parameter name/,
    );
  });

  test('mirror: a share of the traffic copied to another app', () => {
    const { chart, httpbin } = setup();
    const v2 = new MeshApp(chart, 'httpbin-v2', { image: HTTPBIN, ports: [{ port: 8000, targetPort: 8080 }] });
    new ResilientRoute(chart, 'route', { app: httpbin, mirror: { app: v2, percentage: 20 } });
    const vs = Testing.synth(chart).find((o) => o.kind === 'VirtualService');
    expect(vs.spec.http[0].mirrors).toEqual([
      { destination: { host: 'httpbin-v2.demo.svc.cluster.local', port: { number: 8000 } }, percentage: { value: 20 } },
    ]);
  });

  test('matches: the policy applies to matching requests; the rest still reach the app', () => {
    const { vs } = route({
      timeout: Duration.seconds(3),
      matches: [
        { path: StringMatch.prefix('/status') },
        { path: StringMatch.regex('^/delay/[0-9]+$'), headers: { 'x-canary': StringMatch.exact('yes') } },
      ],
    });
    expect(vs.spec.http).toEqual([
      {
        name: 'resilience',
        match: [{ uri: { prefix: '/status' } }, { uri: { regex: '^/delay/[0-9]+$' }, headers: { 'x-canary': { exact: 'yes' } } }],
        route: [{ destination: { host: 'httpbin.demo.svc.cluster.local', port: { number: 8000 } } }],
        timeout: '3s',
      },
      { name: 'default', route: [{ destination: { host: 'httpbin.demo.svc.cluster.local', port: { number: 8000 } } }] },
    ]);
  });

  test('gateways: a second VirtualService for the gateway hosts, bound to the gateways', () => {
    const gateway: IMeshGateway = {
      gatewayName: 'public',
      gatewayNamespace: 'istio-ingress',
      reference: 'istio-ingress/public',
      hosts: ['httpbin.example.com'],
    };
    const { vs, find } = route({ timeout: Duration.seconds(1), gateways: [gateway] });
    expect(vs.spec.gateways).toBeUndefined();
    expect(find('VirtualService', 'httpbin-gateway')).toMatchObject({
      spec: {
        hosts: ['httpbin.example.com'],
        gateways: ['istio-ingress/public'],
        http: [{ timeout: '1s', route: [{ destination: { host: 'httpbin.demo.svc.cluster.local', port: { number: 8000 } } }] }],
      },
    });
  });

  test('fails when hosts are given without gateways', () => {
    expect(failure(() => route({ hosts: ['httpbin.example.com'] }))).toBe(
      "ResilientRoute routes/route: 'hosts' (httpbin.example.com) only apply at gateways; set 'gateways' too, or remove 'hosts'",
    );
  });

  test('fails when a second route claims the same app', () => {
    const { chart, httpbin } = setup();
    new ResilientRoute(chart, 'a', { app: httpbin, timeout: Duration.seconds(1) });
    expect(failure(() => new ResilientRoute(chart, 'b', { app: httpbin, timeout: Duration.seconds(2) }))).toMatch(
      /routes are rendered by routes\/a already; one VirtualService per host/,
    );
  });

  test('fails when the port is not HTTP, or does not exist', () => {
    const { chart } = setup();
    const db = new MeshApp(chart, 'db', { image: 'docker.io/library/redis:7.4', ports: [{ port: 6379, protocol: Protocol.REDIS }] });
    expect(failure(() => new ResilientRoute(chart, 'db-route', { app: db }))).toMatch(
      /ResilientRoute routes\/db-route: app 'db' has no HTTP port \(ports: redis:6379\).*add an http port/,
    );
    const { chart: c2, httpbin } = setup();
    expect(failure(() => new ResilientRoute(c2, 'r', { app: httpbin, port: 9999 }))).toMatch(/has no port '9999'; ports: http:8000/);
  });
});

describe('semantics checked at synth time', () => {
  test('effective timeout = min(timeout, perTryTimeout x attempts)', () => {
    expect(route(S4).route.effectiveTimeout!.toMilliseconds()).toBe(3000);
    expect(
      route({
        timeout: Duration.seconds(2),
        retries: { attempts: 3, perTryTimeout: Duration.seconds(1) },
      }).route.effectiveTimeout!.toMilliseconds(),
    ).toBe(2000);
    expect(route({ timeout: Duration.seconds(2) }).route.effectiveTimeout!.toMilliseconds()).toBe(2000);
    expect(route({ retries: { attempts: 3, perTryTimeout: Duration.seconds(1) } }).route.effectiveTimeout).toBeUndefined();
  });

  test('warns when the timeout cuts retries short (S4: timeout 1s, retries 3 x 1s)', () => {
    const { app, route: r } = route({ timeout: Duration.seconds(1), retries: { attempts: 3, perTryTimeout: Duration.seconds(1) } });
    expect(r.effectiveTimeout!.toMilliseconds()).toBe(1000);
    expect(meshWarnings(app)).toEqual([
      'routes/route: timeout 1s cuts retries short: 3 attempts x 1s need 3s, only 1 fit; effective timeout 1s. Raise the timeout to 3s or lower attempts/perTryTimeout',
    ]);
    expect(meshWarnings(route(S4).app)).toEqual([]);
  });

  test('fails when perTryTimeout exceeds the timeout', () => {
    expect(failure(() => route({ timeout: Duration.seconds(1), retries: { attempts: 2, perTryTimeout: Duration.seconds(2) } }))).toBe(
      'ResilientRoute routes/route: retries.perTryTimeout 2s exceeds the timeout 1s, so no attempt can use it; lower perTryTimeout to at most the timeout, or raise the timeout',
    );
  });

  test.each([
    ['timeout', { timeout: Duration.millis(0) }, 'timeout 0 milli'],
    ['perTryTimeout', { retries: { attempts: 1, perTryTimeout: Duration.millis(0.5) } }, 'retries.perTryTimeout 0.5 milli'],
    ['interval', { outlierDetection: { interval: Duration.millis(0) } }, 'outlierDetection.interval'],
    ['connectTimeout', { connectionPool: { tcp: { connectTimeout: Duration.millis(0) } } }, 'connectionPool.tcp.connectTimeout'],
    ['fixedDelay', { faults: { delay: { fixedDelay: Duration.millis(0), percentage: 1 } } }, 'faults.delay.fixedDelay'],
  ] as [string, Partial<ResilientRouteProps>, string][])('fails when %s is under 1ms', (_f, props, bad) => {
    const message = failure(() => route(props));
    expect(message).toMatch(/^ResilientRoute routes\/route: /);
    expect(message).toContain(bad);
    expect(message).toContain('at least 1ms');
  });

  test('fails when attempts is not a whole number, or retryOn is empty', () => {
    expect(failure(() => route({ retries: { attempts: -1 } }))).toMatch(/retries.attempts -1 is not a whole number of retries; use 0/);
    expect(failure(() => route({ retries: { attempts: 2, retryOn: [] } }))).toMatch(/retries.retryOn is empty.*RetryOn.FIVE_XX/);
    expect(failure(() => RetryOn.statusCode(600))).toMatch(/RetryOn.statusCode\(600\): not an HTTP status code; use 100-599/);
  });

  test('fails when pool limits or ejection percentages are out of range', () => {
    expect(failure(() => route({ connectionPool: { tcp: { maxConnections: 0 } } }))).toMatch(
      /connectionPool.tcp.maxConnections 0 is not allowed; use a whole number from 1/,
    );
    expect(failure(() => route({ connectionPool: { http: { http1MaxPendingRequests: 1.5 } } }))).toMatch(/http1MaxPendingRequests 1.5/);
    expect(failure(() => route({ connectionPool: { http: { http2MaxRequests: 2 ** 31 } } }))).toMatch(
      /connectionPool.http.http2MaxRequests 2147483648 is not allowed; use a whole number from 1 to 2147483647/,
    );
    expect(failure(() => route({ outlierDetection: { consecutive5xxErrors: 2 ** 32 } }))).toMatch(
      /outlierDetection.consecutive5xxErrors 4294967296 is not allowed; use a whole number from 0 to 4294967295/,
    );
    expect(failure(() => route({ outlierDetection: { maxEjectionPercent: 101 } }))).toMatch(
      /outlierDetection.maxEjectionPercent 101 is not a percentage; use 0-100/,
    );
    expect(failure(() => route({ outlierDetection: { minHealthPercent: -1 } }))).toMatch(
      /outlierDetection.minHealthPercent -1 is not a percentage; use 0-100/,
    );
  });

  test('ejection on gateway errors only; minHealthPercent', () => {
    const { dr, app } = route({ outlierDetection: { consecutive5xxErrors: 0, consecutiveGatewayErrors: 3, minHealthPercent: 50 } });
    expect(dr.spec.trafficPolicy.outlierDetection).toEqual({ consecutive5xxErrors: 0, consecutiveGatewayErrors: 3, minHealthPercent: 50 });
    expect(meshWarnings(app)).toEqual([]);
  });

  test("warns when consecutiveGatewayErrors cannot trigger before the 5xx count (Istio's default 5 included)", () => {
    expect(meshWarnings(route({ outlierDetection: { consecutiveGatewayErrors: 5 } }).app)).toEqual([
      "routes/route: outlierDetection.consecutiveGatewayErrors 5 has no effect: gateway errors are 5xx too, and 5 consecutive 5xx (Istio's default) eject first. Set it below 5, or set consecutive5xxErrors: 0 to eject on gateway errors only",
    ]);
    expect(meshWarnings(route({ outlierDetection: { consecutive5xxErrors: 2, consecutiveGatewayErrors: 3 } }).app)).toHaveLength(1);
    expect(meshWarnings(route({ outlierDetection: { consecutiveGatewayErrors: 2 } }).app)).toEqual([]);
  });

  test('fails when a match has no condition, a path no leading slash, or a header an uppercase name', () => {
    expect(failure(() => route({ matches: [{}] }))).toMatch(/matches\[0\] has no condition/);
    expect(failure(() => route({ matches: [{ path: StringMatch.prefix('api') }] }))).toMatch(
      /matches\[0\].path 'api' does not start with '\/'/,
    );
    expect(failure(() => route({ matches: [{ headers: { 'X-User': StringMatch.exact('a') } }] }))).toMatch(
      /'X-User' is not a lowercase HTTP header name.*use 'x-user'/,
    );
  });

  test('fails when the mirror target is the app itself, serves no HTTP, or the percentage is out of range', () => {
    const { chart, httpbin } = setup();
    expect(failure(() => new ResilientRoute(chart, 'self', { app: httpbin, mirror: { app: httpbin } }))).toMatch(
      /mirror.app 'httpbin' is the routed app itself/,
    );
    const { chart: c2, httpbin: h2 } = setup();
    const db = new MeshApp(c2, 'db', { image: 'docker.io/library/redis:7.4', ports: [{ port: 6379, protocol: Protocol.REDIS }] });
    expect(failure(() => new ResilientRoute(c2, 'r', { app: h2, mirror: { app: db } }))).toMatch(
      /mirror.app 'demo\/db' has no HTTP port \(ports: redis:6379\)/,
    );
    const { chart: c3, httpbin: h3 } = setup();
    const v2 = new MeshApp(c3, 'v2', { image: HTTPBIN, ports: [{ port: 8000 }] });
    expect(failure(() => new ResilientRoute(c3, 'r', { app: h3, mirror: { app: v2, percentage: 120 } }))).toMatch(
      /mirror.percentage 120 is not a percentage; use 0-100/,
    );
  });
});

describe('fault injection', () => {
  test('scoped by default to requests with x-fault-test: true; other requests get the policy without faults', () => {
    const { vs } = route({
      timeout: Duration.seconds(8),
      faults: { delay: { fixedDelay: Duration.seconds(2), percentage: 10 }, abort: { httpStatus: 503, percentage: 50 } },
    });
    expect(vs.spec.http).toHaveLength(2);
    expect(vs.spec.http[0]).toMatchObject({
      name: 'fault-injection',
      match: [{ headers: { 'x-fault-test': { exact: 'true' } } }],
      fault: { delay: { fixedDelay: '2s', percentage: { value: 10 } }, abort: { httpStatus: 503, percentage: { value: 50 } } },
      timeout: '8s',
    });
    expect(vs.spec.http[1]).toMatchObject({ name: 'resilience', timeout: '8s' });
    expect(vs.spec.http[1].fault).toBeUndefined();
    expect(vs.spec.http[1].match).toBeUndefined();
  });

  test('a custom header is added to every match; gRPC aborts', () => {
    const { vs } = route({
      matches: [{ path: StringMatch.prefix('/status') }],
      faults: { abort: { grpcStatus: GrpcStatus.UNAVAILABLE, percentage: 100 }, header: { name: 'x-chaos', value: 'on' } },
    });
    expect(vs.spec.http[0]).toMatchObject({
      match: [{ uri: { prefix: '/status' }, headers: { 'x-chaos': { exact: 'on' } } }],
      fault: { abort: { grpcStatus: 'UNAVAILABLE', percentage: { value: 100 } } },
    });
    expect(vs.spec.http.map((r: any) => r.name)).toEqual(['fault-injection', 'resilience', 'default']);
  });

  test('allTraffic hits every request: one route carries the fault', () => {
    const { vs } = route({ faults: { abort: { httpStatus: 500, percentage: 1 }, allTraffic: true } });
    expect(vs.spec.http).toHaveLength(1);
    expect(vs.spec.http[0].match).toBeUndefined();
    expect(vs.spec.http[0].fault.abort).toEqual({ httpStatus: 500, percentage: { value: 1 } });
  });

  test.each([
    [{ abort: { httpStatus: 600, percentage: 1 } }, /faults.abort.httpStatus 600 is not allowed; use an HTTP status from 200 to 599/],
    [{ abort: { httpStatus: 199, percentage: 1 } }, /faults.abort.httpStatus 199 is not allowed/],
    [
      { abort: { httpStatus: 503, grpcStatus: GrpcStatus.INTERNAL, percentage: 1 } },
      /faults.abort needs exactly one of httpStatus \(HTTP\) and grpcStatus \(gRPC\)/,
    ],
    [
      { abort: { grpcStatus: 'BROKEN', percentage: 1 } },
      /faults.abort.grpcStatus 'BROKEN' is not a GrpcStatus; use one of GrpcStatus.CANCELLED, GrpcStatus.UNKNOWN/,
    ],
    [{ abort: { httpStatus: 503, percentage: 101 } }, /faults.abort.percentage 101 is not a percentage; use 0-100/],
    [{ delay: { fixedDelay: Duration.seconds(1), percentage: -1 } }, /faults.delay.percentage -1 is not a percentage; use 0-100/],
    [{}, /'faults' has neither 'delay' nor 'abort'/],
    [
      { abort: { httpStatus: 503, percentage: 1 }, header: { name: 'X-Test', value: 'y' } },
      /faults.header 'X-Test: y' is not a lowercase header name/,
    ],
    [
      { abort: { httpStatus: 503, percentage: 1 }, header: { name: 'x-test', value: 'y' }, allTraffic: true },
      /faults.header and faults.allTraffic exclude each other/,
    ],
  ] as [any, RegExp][])('fails when faults are %j', (faults, message) => {
    expect(failure(() => route({ faults }))).toMatch(message);
  });

  test('fails when the environment refuses faults, naming the config key to set', () => {
    const production: ResilienceDefaults = { allowFaults: false, allowFaultsSetting: 'mesh:resilience.allowFaults: true' };
    expect(failure(() => route({ defaults: production, faults: { abort: { httpStatus: 503, percentage: 1 } } }))).toBe(
      "ResilientRoute routes/route: fault injection is not allowed in this environment (faults hit real traffic there); remove 'faults', or allow them explicitly with mesh:resilience.allowFaults: true in the environment's Pulumi.<env>.yaml",
    );
    expect(
      route({ defaults: { allowFaults: true }, faults: { abort: { httpStatus: 503, percentage: 1 } } }).vs.spec.http[0].fault,
    ).toBeDefined();
  });
});

describe('environment defaults', () => {
  const defaults: ResilienceDefaults = {
    timeout: Duration.seconds(15),
    retries: { attempts: 2, perTryTimeout: Duration.seconds(5), retryOn: [RetryOn.CONNECT_FAILURE] },
    outlierDetection: {
      consecutive5xxErrors: 5,
      interval: Duration.seconds(10),
      baseEjectionTime: Duration.seconds(30),
      maxEjectionPercent: 30,
    },
    allowFaults: false,
  };

  test('a route that sets nothing gets the environment defaults', () => {
    const { vs, dr } = route({ defaults });
    expect(vs.spec.http[0]).toMatchObject({ timeout: '15s', retries: { attempts: 2, perTryTimeout: '5s', retryOn: 'connect-failure' } });
    expect(dr.spec.trafficPolicy).toEqual({
      outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 30 },
    });
  });

  test('a route overrides them field by field', () => {
    const { vs, dr } = route({ ...S4, defaults });
    expect(vs.spec.http[0]).toMatchObject({ timeout: '8s', retries: { attempts: 3, perTryTimeout: '1s' } });
    expect(dr.spec.trafficPolicy.outlierDetection).toEqual({
      consecutive5xxErrors: 1,
      interval: '1s',
      baseEjectionTime: '3m',
      maxEjectionPercent: 100,
    });
  });
});

describe('escape hatch: the final JSON is checked', () => {
  test("fails when S4's misplaced original (outlierDetection inside connectionPool) is given through addJsonPatch", () => {
    const { app, chart, httpbin } = setup();
    const r = new ResilientRoute(chart, 'route', { app: httpbin, connectionPool: S4.connectionPool });
    ApiObject.of(r.destinationRule!).addJsonPatch(
      JsonPatch.add('/spec/trafficPolicy/connectionPool/outlierDetection', {
        consecutiveErrors: 1,
        interval: '1s',
        baseEjectionTime: '3m',
        maxEjectionPercent: 100,
      }),
    );
    const message = failure(() => renderCharts(app));
    expect(message).toContain(
      'routes/route: DestinationRule demo/httpbin: spec.trafficPolicy.connectionPool.outlierDetection is misplaced: a cluster drops it silently and circuit breaking is off; move it up to spec.trafficPolicy.outlierDetection',
    );
  });

  test('fails when the deprecated consecutiveErrors is patched in', () => {
    const { app, chart, httpbin } = setup();
    const r = new ResilientRoute(chart, 'route', { app: httpbin, outlierDetection: S4.outlierDetection });
    r.destinationRule!.addJsonPatch(JsonPatch.add('/spec/trafficPolicy/outlierDetection/consecutiveErrors', 1));
    expect(failure(() => renderCharts(app))).toContain(
      'DestinationRule demo/httpbin: spec.trafficPolicy.outlierDetection.consecutiveErrors (1) is deprecated and ignored by current Istio; use consecutive5xxErrors',
    );
  });

  test('fails when a timeout is patched onto a route destination instead of the route', () => {
    const { app, chart, httpbin } = setup();
    const r = new ResilientRoute(chart, 'route', { app: httpbin });
    r.virtualService!.addJsonPatch(JsonPatch.add('/spec/http/0/route/0/timeout', '1s'));
    expect(failure(() => renderCharts(app))).toContain(
      'VirtualService demo/httpbin: spec.http[0].route[0].timeout is misplaced: a cluster drops it silently; set it on spec.http[0].timeout',
    );
  });

  test('the correct S4 output passes validation', () => {
    const { app, chart, httpbin } = setup();
    new ResilientRoute(chart, 'route', { app: httpbin, ...S4 });
    // The app holds only the routes: Istio's CRDs come from the platform already on the cluster.
    expect(() => renderCharts(app, { clusterApiGroups: ISTIO_API_GROUPS })).not.toThrow();
  });
});

/** A routing controller test double: records what it is given. */
class RecordingController extends Construct implements IRoutingController {
  readonly controllerKind = 'CanaryRelease';
  readonly received: { settings: ServiceTrafficSettings; from: IConstruct }[] = [];
  applyTrafficSettings(source: ITrafficPolicySource): void {
    this.received.push({ settings: source.trafficSettings(), from: source });
  }
}

describe('ResilientRoute on an app whose routing a controller owns (Flagger Canary)', () => {
  function canaried() {
    const { chart, httpbin } = setup();
    const controller = new RecordingController(chart, 'canary');
    httpbin.setRoutingController(controller);
    return { chart, httpbin, controller };
  }

  test('hands timeout, retries, trafficPolicy and match to the controller and renders nothing itself', () => {
    const { chart, httpbin, controller } = canaried();
    const r = new ResilientRoute(chart, 'route', {
      app: httpbin,
      ...S4,
      connectionPool: { http: S4.connectionPool.http },
      loadBalancer: LoadBalancer.leastRequest(),
      matches: [{ headers: { 'x-canary': StringMatch.exact('insider') } }],
    });
    expect(controller.received).toHaveLength(1);
    expect(controller.received[0].from).toBe(r);
    // Typed: the generated Istio bindings' TypeScript names (consecutive5XxErrors), no JSON in between.
    expect(controller.received[0].settings).toEqual({
      timeout: '8s',
      retries: { attempts: 3, perTryTimeout: '1s', retryOn: '5xx,gateway-error,reset,connect-failure' },
      trafficPolicy: {
        connectionPool: { http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } },
        outlierDetection: { consecutive5XxErrors: 1, interval: '1s', baseEjectionTime: '3m', maxEjectionPercent: 100 },
        loadBalancer: { simple: DestinationRuleSpecTrafficPolicyLoadBalancerSimple.LEAST_UNDERSCORE_REQUEST },
      },
      match: [{ headers: { 'x-canary': { exact: 'insider' } } }],
    });
    expect(r.trafficSettings()).toBe(r.settings);
    expect(r.routingController).toBe(controller);
    expect(r.virtualService).toBeUndefined();
    expect(Testing.synth(chart).filter((o) => o.apiVersion.startsWith('networking.istio.io'))).toEqual([]);
  });

  test('fails when faults, mirror, gateways or a TCP pool are asked of a canaried app', () => {
    const gateway: IMeshGateway = {
      gatewayName: 'public',
      gatewayNamespace: 'istio-ingress',
      reference: 'istio-ingress/public',
      hosts: ['a.example.com'],
    };
    const owned = "cannot be applied: CanaryRelease routes/canary owns the routing of 'httpbin'";
    for (const [props, message] of [
      [
        { faults: { abort: { httpStatus: 503, percentage: 1 } } },
        `'faults' ${owned} (Flagger generates its VirtualService); Flagger's Canary has no fault injection: inject faults into an app without a CanaryRelease, or remove 'faults'`,
      ],
      [
        { gateways: [gateway] },
        `'gateways' ${owned} (Flagger generates its VirtualService); set 'gateways' on the CanaryRelease, or remove them here`,
      ],
      [
        undefined,
        `'mirror' ${owned} (Flagger generates its VirtualService); mirror to the canary during its analysis with the CanaryRelease's Strategy.blueGreenMirroring, or remove 'mirror'`,
      ],
      [
        { connectionPool: { tcp: { maxConnections: 1 } } },
        `'connectionPool.tcp' ${owned}, and Flagger's Canary spec.service.trafficPolicy has an HTTP connection pool only`,
      ],
    ] as [Partial<ResilientRouteProps> | undefined, string][]) {
      const { chart, httpbin } = canaried();
      const given = props ?? { mirror: { app: new MeshApp(chart, 'v2', { image: HTTPBIN, ports: [{ port: 8000 }] }) } };
      expect(failure(() => new ResilientRoute(chart, 'route', { app: httpbin, ...given }))).toContain(
        `ResilientRoute routes/route: ${message}`,
      );
    }
  });
});
