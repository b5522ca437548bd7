import { Duration, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { Layer, LayerChart } from '../../../charts';
import {
  DestinationRuleSpecTrafficPolicyLoadBalancerSimple,
  DestinationRuleSpecTrafficPolicyTlsMode,
} from '../../../imports/networking.istio.io';
import {
  AlertChannel,
  AlertProvider,
  CanaryAlertSeverity,
  CanaryMetric,
  CanaryRelease,
  CanaryReleaseProps,
  Flagger,
  FlaggerLoadTester,
  flaggerCollisions,
  flaggerDuration,
  IMeshGateway,
  ITrafficPolicySource,
  MeshApp,
  MeshAppProps,
  MetricTemplate,
  RequestMatch,
  StringMatch,
  ServiceTrafficSettings,
  Strategy,
  Webhook,
  WeightedSplit,
} from '../../../constructs';

const IMAGE = 'docker.io/mccutchen/go-httpbin:v2.15.0';
const GATEWAY: IMeshGateway = {
  gatewayName: 'public-gateway',
  gatewayNamespace: 'istio-system',
  reference: 'istio-system/public-gateway',
  hosts: ['*'],
};

function setup(appProps: Partial<MeshAppProps> = {}) {
  const app = Testing.app();
  const chart = new LayerChart(app, 'apps', { layer: Layer.APPS, namespace: 'demo' });
  const httpbin = new MeshApp(chart, 'httpbin', { image: IMAGE, ports: [{ port: 8000, targetPort: 8080 }], ...appProps });
  return { app, chart, httpbin };
}

function release(props: Partial<CanaryReleaseProps> = {}, appProps: Partial<MeshAppProps> = {}) {
  const { chart, httpbin } = setup(appProps);
  const canary = new CanaryRelease(chart, 'canary', { app: httpbin, strategy: Strategy.progressive({ stepWeight: 20 }), ...props });
  const objects = Testing.synth(chart);
  return { chart, httpbin, canary, objects, spec: objects.find((o) => o.kind === 'Canary')!.spec };
}

function fails(build: () => unknown, ...parts: (string | RegExp)[]) {
  let message = '';
  try {
    build();
  } catch (e) {
    message = (e as Error).message;
  }
  expect(message).not.toBe('');
  for (const part of parts) expect(message).toMatch(part);
}

describe('CanaryRelease strategies', () => {
  test('progressive canary: stepWeight and maxWeight, analysis defaults, Istio provider, the Deployment as target', () => {
    const { spec } = release({ strategy: Strategy.progressive({ stepWeight: 10, maxWeight: 60, stepWeightPromotion: 50 }) });
    expect(spec).toMatchObject({
      provider: 'istio',
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'httpbin' },
      progressDeadlineSeconds: 600,
      service: { name: 'httpbin', port: 8000, portName: 'http', targetPort: 8080 },
      analysis: {
        interval: '1m',
        threshold: 5,
        stepWeight: 10,
        maxWeight: 60,
        stepWeightPromotion: 50,
        metrics: [
          { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' },
          { name: 'request-duration', thresholdRange: { max: 500 }, interval: '1m' },
        ],
      },
    });
    expect(spec.analysis.iterations).toBeUndefined();
    expect(spec.analysis.stepWeights).toBeUndefined();
  });

  test('progressive canary with explicit stepWeights renders no maxWeight', () => {
    const { spec } = release({ strategy: Strategy.progressive({ stepWeights: [1, 5, 25, 50] }) });
    expect(spec.analysis).toMatchObject({ stepWeights: [1, 5, 25, 50] });
    expect(spec.analysis.maxWeight).toBeUndefined();
    expect(spec.analysis.stepWeight).toBeUndefined();
  });

  test('session affinity: a progressive canary with a cookie and its max age in seconds', () => {
    const { spec } = release({
      strategy: Strategy.sessionAffinity({ stepWeight: 25, maxWeight: 50, cookieName: 'canary-session', maxAge: Duration.hours(2) }),
    });
    expect(spec.analysis).toMatchObject({ stepWeight: 25, maxWeight: 50, sessionAffinity: { cookieName: 'canary-session', maxAge: 7200 } });
  });

  test('A/B testing: iterations and header, cookie and query matches (alternatives)', () => {
    const { spec } = release({
      strategy: Strategy.abTesting({
        iterations: 10,
        match: [
          RequestMatch.header('X-Canary', StringMatch.regex('.*insider.*')),
          RequestMatch.cookie('canary', 'always'),
          RequestMatch.queryParam('beta', 'true'),
        ],
      }),
    });
    expect(spec.analysis).toMatchObject({
      iterations: 10,
      match: [
        { headers: { 'x-canary': { regex: '.*insider.*' } } },
        { headers: { cookie: { regex: '^(.*?;)?(canary=always)(;.*)?$' } } },
        { queryParams: { beta: { exact: 'true' } } },
      ],
    });
    expect(spec.analysis.stepWeight).toBeUndefined();
    expect(spec.analysis.maxWeight).toBeUndefined();
  });

  test('blue/green: iterations only', () => {
    const { spec } = release({ strategy: Strategy.blueGreen({ iterations: 5 }) });
    expect(spec.analysis).toMatchObject({ iterations: 5, interval: '1m', threshold: 5 });
    for (const field of ['stepWeight', 'stepWeights', 'maxWeight', 'mirror', 'match']) expect(spec.analysis[field]).toBeUndefined();
  });

  test('blue/green with mirroring: mirror and mirrorWeight', () => {
    const { spec } = release({ strategy: Strategy.blueGreenMirroring({ iterations: 10, mirrorWeight: 50 }) });
    expect(spec.analysis).toMatchObject({ iterations: 10, mirror: true, mirrorWeight: 50 });
  });
});

describe('CanaryRelease owns the routing of its app', () => {
  test('the app hands its Service to Flagger: MeshApp.service no longer points at a Service outside the tree', () => {
    const { httpbin, canary, objects } = release(
      {},
      { autoscaling: { minReplicas: 2, maxReplicas: 3, cpuUtilization: 80 }, podDisruptionBudget: true },
    );
    expect(objects.filter((o) => o.kind === 'Service')).toEqual([]);
    expect(httpbin.service).toBeUndefined();
    expect(httpbin.serviceOwner).toBe(canary);
    // The PodDisruptionBudget follows the primary pods Flagger serves from.
    expect(objects.find((o) => o.kind === 'PodDisruptionBudget')!.spec.selector.matchLabels.app).toBe('httpbin-primary');
  });

  test('fails when a construct that does not own the routing takes the Service', () => {
    const { chart, httpbin } = setup();
    const other = new CanaryRelease(chart, 'canary', { app: httpbin, strategy: Strategy.progressive({ stepWeight: 20 }) });
    const { httpbin: second } = setup();
    fails(
      () => second.handOverService(other),
      /^MeshApp apps\/httpbin: CanaryRelease apps\/canary takes over the Service, but it does not own/,
    );
  });

  test('registers as the routing controller, leaves the apex Service to Flagger and drops spec.replicas', () => {
    const { httpbin, canary, objects } = release();
    expect(httpbin.routingController).toBe(canary);
    expect(objects.filter((o) => o.kind === 'Service')).toEqual([]);
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    expect(deployment.spec.replicas).toBeUndefined();
    expect(flaggerCollisions(objects)).toEqual([]);
    expect(canary.flaggerOwnedObjects).toEqual(
      expect.arrayContaining([
        'Service demo/httpbin',
        'Service demo/httpbin-primary',
        'Service demo/httpbin-canary',
        'VirtualService demo/httpbin',
        'DestinationRule demo/httpbin-primary',
        'DestinationRule demo/httpbin-canary',
        'Deployment demo/httpbin-primary',
      ]),
    );
  });

  test('refers to the app HPA (autoscaling/v2) and Flagger then owns its primary copy', () => {
    const { spec, objects, canary } = release({}, { autoscaling: { minReplicas: 2, maxReplicas: 4, cpuUtilization: 99 } });
    expect(spec.autoscalerRef).toEqual({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: 'httpbin' });
    expect(objects.find((o) => o.kind === 'HorizontalPodAutoscaler')).toMatchObject({
      apiVersion: 'autoscaling/v2',
      spec: { minReplicas: 2, maxReplicas: 4 },
    });
    expect(canary.flaggerOwnedObjects).toContain('HorizontalPodAutoscaler demo/httpbin-primary');
  });

  test("the app's PodDisruptionBudget guards the primary pods Flagger serves from", () => {
    const { objects } = release({}, { autoscaling: { minReplicas: 3, maxReplicas: 3, cpuUtilization: 80 }, podDisruptionBudget: true });
    expect(objects.find((o) => o.kind === 'PodDisruptionBudget')).toMatchObject({
      apiVersion: 'policy/v1',
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'httpbin-primary', version: 'v1' } } },
    });
  });

  test('gateways are named <name>.<namespace>.svc.cluster.local, with the mesh gateway unless meshTraffic is off', () => {
    expect(release({ gateways: [GATEWAY], hosts: ['httpbin.example.com'] }).spec.service).toMatchObject({
      gateways: ['public-gateway.istio-system.svc.cluster.local', 'mesh'],
      hosts: ['httpbin.example.com'],
    });
    expect(release({ gateways: [GATEWAY], meshTraffic: false }).spec.service.gateways).toEqual([
      'public-gateway.istio-system.svc.cluster.local',
    ]);
  });

  test('a multi-port app gets port discovery; the analysed port is chosen by name or number', () => {
    const { spec } = release(
      { port: 'http-admin' },
      {
        ports: [
          { port: 8000, targetPort: 8080 },
          { port: 9000, name: 'http-admin' },
        ],
      },
    );
    expect(spec.service).toMatchObject({ port: 9000, portName: 'http-admin', targetPort: 9000, portDiscovery: true });
  });

  /** A traffic policy source (what a ResilientRoute is to the release): typed settings, no JSON. */
  const source = (scope: Construct, id: string, settings: ServiceTrafficSettings): ITrafficPolicySource =>
    Object.assign(new Construct(scope, id), { trafficSettings: () => settings });

  test('typed traffic settings render into spec.service with upstream (JSON) field names', () => {
    const { chart, httpbin } = setup();
    const canary = new CanaryRelease(chart, 'canary', {
      app: httpbin,
      strategy: Strategy.progressive({ stepWeight: 20 }),
      traffic: { timeout: '8s' },
    });
    canary.applyTrafficSettings(
      source(chart, 'route', {
        retries: { attempts: 3, perTryTimeout: '1s', retryOn: '5xx' },
        trafficPolicy: {
          outlierDetection: { consecutive5XxErrors: 1, interval: '1s' },
          loadBalancer: { simple: DestinationRuleSpecTrafficPolicyLoadBalancerSimple.LEAST_UNDERSCORE_REQUEST },
          tls: { mode: DestinationRuleSpecTrafficPolicyTlsMode.ISTIO_UNDERSCORE_MUTUAL },
        },
        match: [{ uri: { prefix: '/api' } }],
      }),
    );
    const service = Testing.synth(chart).find((o) => o.kind === 'Canary')!.spec.service;
    expect(service).toMatchObject({
      timeout: '8s',
      retries: { attempts: 3, perTryTimeout: '1s', retryOn: '5xx' },
      trafficPolicy: {
        outlierDetection: { consecutive5xxErrors: 1, interval: '1s' },
        loadBalancer: { simple: 'LEAST_REQUEST' },
        tls: { mode: 'ISTIO_MUTUAL' },
      },
      match: [{ uri: { prefix: '/api' } }],
    });
    expect(JSON.stringify(service)).not.toContain('consecutive5XxErrors');
  });

  test('fails when two constructs set the same traffic field', () => {
    const { chart, httpbin } = setup();
    const canary = new CanaryRelease(chart, 'canary', {
      app: httpbin,
      strategy: Strategy.progressive({ stepWeight: 20 }),
      traffic: { timeout: '8s' },
    });
    fails(
      () => canary.applyTrafficSettings(source(chart, 'route', { timeout: '2s' })),
      'CanaryRelease apps/canary',
      'service timeout is set by apps/canary and again by apps/route',
      'set it in one place',
    );
  });

  test('fails when a traffic field would be dropped (Flagger has no TCP connection pool)', () => {
    const { chart, httpbin } = setup();
    const canary = new CanaryRelease(chart, 'canary', { app: httpbin, strategy: Strategy.progressive({ stepWeight: 20 }) });
    fails(
      () => canary.applyTrafficSettings(source(chart, 'route', { trafficPolicy: { connectionPool: { tcp: { maxConnections: 1 } } } })),
      'trafficPolicy.connectionPool.tcp from apps/route',
      'silently dropped',
    );
  });

  test('fails when a WeightedSplit routes the app before the release takes it over (as after)', () => {
    const { chart, httpbin } = setup();
    new WeightedSplit(chart, 'split', { app: httpbin, weights: [{ version: 'v1', weight: 100 }] });
    fails(
      () => new CanaryRelease(chart, 'canary', { app: httpbin, strategy: Strategy.progressive({ stepWeight: 20 }) }),
      "WeightedSplit apps/split: CanaryRelease apps/canary takes over the routing of 'httpbin'",
      'keep one of the two',
    );
  });

  test('fails when a WeightedSplit wants the routes of a canaried app', () => {
    const { chart, httpbin } = setup();
    new CanaryRelease(chart, 'canary', { app: httpbin, strategy: Strategy.progressive({ stepWeight: 20 }) });
    fails(
      () => new WeightedSplit(chart, 'split', { app: httpbin, weights: [{ version: 'v1', weight: 100 }] }),
      'apps/split cannot render routes',
      'CanaryRelease apps/canary owns them',
    );
  });
});

describe('CanaryRelease analysis', () => {
  test('webhooks of every Flagger type: hey load test against <app>-canary, gates and rollback on the load tester, pre/post-rollout and event URLs', () => {
    const { spec } = release({
      interval: Duration.seconds(30),
      webhooks: [
        Webhook.preRollout('smoke', {
          url: 'http://flagger-loadtester.test/',
          timeout: Duration.seconds(15),
          metadata: { type: 'bash', cmd: 'curl -sf http://httpbin-canary.demo:8000/status/200' },
        }),
        Webhook.heyLoadTest({ path: '/headers', timeout: Duration.seconds(5) }),
        Webhook.confirmRollout({ timeout: Duration.seconds(5) }),
        Webhook.confirmTrafficIncrease({ timeout: Duration.seconds(5) }),
        Webhook.confirmPromotion({ timeout: Duration.seconds(5) }),
        Webhook.rollback({ timeout: Duration.seconds(5) }),
        Webhook.postRollout('notify', { url: 'https://hooks.example.com/done', timeout: Duration.seconds(5) }),
        Webhook.event('audit', { url: 'https://audit.example.com/flagger', timeout: Duration.seconds(5) }),
      ],
    });
    expect(spec.analysis.webhooks).toEqual([
      {
        name: 'smoke',
        type: 'pre-rollout',
        url: 'http://flagger-loadtester.test/',
        timeout: '15s',
        metadata: { type: 'bash', cmd: 'curl -sf http://httpbin-canary.demo:8000/status/200' },
      },
      {
        name: 'load-test',
        type: 'rollout',
        url: 'http://flagger-loadtester.test/',
        timeout: '5s',
        metadata: { type: 'cmd', cmd: 'hey -z 1m -q 10 -c 2 http://httpbin-canary.demo:8000/headers' },
      },
      // The load tester's gates: /gate/check answers 2xx once /gate/open was called for the canary.
      { name: 'confirm-rollout', type: 'confirm-rollout', url: 'http://flagger-loadtester.test/gate/check', timeout: '5s' },
      {
        name: 'confirm-traffic-increase',
        type: 'confirm-traffic-increase',
        url: 'http://flagger-loadtester.test/gate/check',
        timeout: '5s',
      },
      { name: 'confirm-promotion', type: 'confirm-promotion', url: 'http://flagger-loadtester.test/gate/check', timeout: '5s' },
      { name: 'rollback', type: 'rollback', url: 'http://flagger-loadtester.test/rollback/check', timeout: '5s' },
      { name: 'notify', type: 'post-rollout', url: 'https://hooks.example.com/done', timeout: '5s' },
      { name: 'audit', type: 'event', url: 'https://audit.example.com/flagger', timeout: '5s' },
    ]);
  });

  test("alert severities are Flagger's three, as an enum-like class (info by default)", () => {
    const { chart, httpbin } = setup();
    const provider = new AlertProvider(chart, 'on-call', { channel: AlertChannel.SLACK, secretName: 'slack-url' });
    new CanaryRelease(chart, 'canary', {
      app: httpbin,
      strategy: Strategy.progressive({ stepWeight: 20 }),
      alerts: [
        ...[CanaryAlertSeverity.INFO, CanaryAlertSeverity.WARN, CanaryAlertSeverity.ERROR].map((severity) => ({
          provider,
          severity,
          name: `at-${severity}`,
        })),
        { provider },
      ],
    });
    const alerts = Testing.synth(chart).find((o) => o.kind === 'Canary')!.spec.analysis.alerts;
    expect(alerts.map((a: { name: string; severity: string }) => `${a.name}=${a.severity}`)).toEqual([
      'at-info=info',
      'at-warn=warn',
      'at-error=error',
      'on-call=info',
    ]);
  });

  test('custom MetricTemplate metric and an alert through a Slack provider whose URL is a Secret reference', () => {
    const { chart, httpbin } = setup();
    const platform = new LayerChart(chart.node.scope as Construct, 'platform', { layer: Layer.PLATFORM, namespace: 'istio-system' });
    const latency = MetricTemplate.istioP99Latency(platform, 'latency', { prometheusUrl: 'http://prometheus.monitoring:9090' });
    const slack = new AlertProvider(platform, 'on-call', { channel: AlertChannel.SLACK, secretName: 'slack-url', chatChannel: 'deploys' });
    const teams = new AlertProvider(platform, 'teams', { channel: AlertChannel.TEAMS, secretName: 'teams-url' });
    new CanaryRelease(chart, 'canary', {
      app: httpbin,
      strategy: Strategy.progressive({ stepWeight: 20 }),
      metrics: [CanaryMetric.fromTemplate(latency, { max: 500, interval: Duration.seconds(30) })],
      alerts: [{ provider: slack, severity: CanaryAlertSeverity.ERROR }, { provider: teams }],
    });
    const spec = Testing.synth(chart).find((o) => o.kind === 'Canary')!.spec;
    expect(spec.analysis.metrics).toEqual([
      { name: 'latency', templateRef: { name: 'latency', namespace: 'istio-system' }, thresholdRange: { max: 500 }, interval: '30s' },
    ]);
    expect(spec.analysis.alerts).toEqual([
      { name: 'on-call', severity: 'error', providerRef: { name: 'on-call', namespace: 'istio-system' } },
      { name: 'teams', severity: 'info', providerRef: { name: 'teams', namespace: 'istio-system' } },
    ]);
    const objects = Testing.synth(platform);
    expect(objects.find((o) => o.kind === 'AlertProvider' && o.metadata.name === 'on-call')).toEqual({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'AlertProvider',
      metadata: { name: 'on-call', namespace: 'istio-system' },
      spec: { type: 'slack', channel: 'deploys', username: 'flagger', secretRef: { name: 'slack-url' } },
    });
    expect(objects.find((o) => o.kind === 'AlertProvider' && o.metadata.name === 'teams')!.spec).toEqual({
      type: 'msteams',
      secretRef: { name: 'teams-url' },
    });
    expect(JSON.stringify(objects.filter((o) => o.kind === 'AlertProvider'))).not.toMatch(/hooks\.slack\.com|address/);
  });

  test("scenario S3's latency template: P99 of the destination's request duration, by namespace and workload, over the interval", () => {
    const app = Testing.app();
    const chart = new LayerChart(app, 'platform', { layer: Layer.PLATFORM, namespace: 'istio-system' });
    MetricTemplate.istioP99Latency(chart, 'latency', { prometheusUrl: 'http://prometheus.monitoring:9090' });
    const [template] = Testing.synth(chart);
    expect(template).toMatchObject({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'MetricTemplate',
      metadata: { name: 'latency', namespace: 'istio-system' },
      spec: { provider: { type: 'prometheus', address: 'http://prometheus.monitoring:9090' } },
    });
    expect(template.spec.query.replace(/\s+/g, ' ')).toBe(
      'histogram_quantile(0.99, sum( rate( istio_request_duration_milliseconds_bucket{ reporter="destination", destination_workload_namespace="{{ namespace }}", destination_workload=~"{{ target }}" }[{{ interval }}] ) ) by (le) )',
    );
  });

  test("durations render as the Canary CRD's pattern ^[0-9]+(m|s) accepts: hours as minutes", () => {
    expect(flaggerDuration(Duration.seconds(90))).toBe('1m30s');
    expect(flaggerDuration(Duration.millis(500))).toBe('500ms');
    expect(flaggerDuration(Duration.hours(2))).toBe('120m');
    const { spec } = release({
      interval: Duration.hours(1),
      metrics: [CanaryMetric.requestSuccessRate({ interval: Duration.minutes(90) })],
    });
    expect(spec.analysis.interval).toBe('60m');
    expect(spec.analysis.metrics[0].interval).toBe('90m');
  });
});

describe('flaggerCollisions', () => {
  test('finds objects Flagger generates, foreign routes for the canaried host and replicas on the target', () => {
    const { objects } = release();
    const extra = [
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'httpbin', namespace: 'demo' },
        spec: { hosts: ['httpbin'] },
      },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'httpbin-primary', namespace: 'demo' }, spec: {} },
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: 'httpbin-policy', namespace: 'demo' },
        spec: { host: 'httpbin.demo.svc.cluster.local' },
      },
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'edge', namespace: 'other' },
        spec: { hosts: ['httpbin.demo'] },
      },
    ];
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    const problems = flaggerCollisions([
      ...objects.filter((o) => o !== deployment),
      { ...deployment, spec: { ...deployment.spec, replicas: 3 } },
      ...extra,
    ]);
    expect(problems).toEqual([
      expect.stringContaining('Deployment demo/httpbin sets spec.replicas 3'),
      expect.stringContaining('VirtualService demo/httpbin is created by Flagger for Canary demo/httpbin'),
      expect.stringContaining('Service demo/httpbin-primary is created by Flagger'),
      expect.stringContaining('DestinationRule demo/httpbin-policy configures host httpbin.demo.svc.cluster.local'),
      expect.stringContaining('VirtualService other/edge routes host httpbin.demo'),
    ]);
  });

  test('every object Flagger generates for a Canary is a collision when the output holds it too, of whichever kind', () => {
    const { objects, canary } = release({}, { autoscaling: { minReplicas: 2, maxReplicas: 4, cpuUtilization: 80 } });
    expect(canary.flaggerOwnedObjects).toContain('HorizontalPodAutoscaler demo/httpbin-primary');
    for (const key of canary.flaggerOwnedObjects) {
      const [, kind, namespace, name] = /^(\S+) ([^/]+)\/(\S+)$/.exec(key)!;
      const generated = { apiVersion: 'example.com/v1', kind, metadata: { name, namespace }, spec: {} };
      expect(flaggerCollisions([...objects, generated])).toEqual([
        `${key} is created by Flagger for Canary demo/httpbin; generating it too makes two writers fight`,
      ]);
    }
  });
});

describe('CanaryRelease validation', () => {
  const build =
    (props: Partial<CanaryReleaseProps>, appProps: Partial<MeshAppProps> = {}) =>
    () =>
      release(props, appProps);

  test('fails when both stepWeight and stepWeights are given', () => {
    fails(
      build({ strategy: Strategy.progressive({ stepWeight: 10, stepWeights: [10, 20] }) }),
      'CanaryRelease apps/canary',
      'exactly one of stepWeight and stepWeights',
      'got stepWeight and stepWeights',
    );
  });
  test('fails when neither stepWeight nor stepWeights is given', () => {
    fails(build({ strategy: Strategy.progressive({}) }), 'exactly one of stepWeight and stepWeights', 'got none', 'set stepWeight');
  });
  test('fails when iterations is not a positive whole number', () => {
    fails(build({ strategy: Strategy.blueGreen({ iterations: 0 }) }), 'blue-green needs iterations', 'got 0');
  });
  test('fails when stepWeight exceeds maxWeight', () => {
    fails(build({ strategy: Strategy.progressive({ stepWeight: 60, maxWeight: 50 }) }), 'stepWeight 60 exceeds maxWeight 50');
  });
  test('fails when maxWeight is out of range', () => {
    fails(build({ strategy: Strategy.progressive({ stepWeight: 10, maxWeight: 120 }) }), 'maxWeight 120 is out of range', '1 to 100');
  });
  test('fails when a weight is negative', () => {
    fails(build({ strategy: Strategy.progressive({ stepWeight: -5 }) }), 'stepWeight -5 is out of range');
  });
  test('fails when stepWeights do not increase', () => {
    fails(build({ strategy: Strategy.progressive({ stepWeights: [10, 30, 20] }) }), 'must increase strictly', '20 follows 30');
  });
  test('fails when maxWeight is combined with stepWeights', () => {
    fails(build({ strategy: Strategy.progressive({ stepWeights: [10, 20], maxWeight: 50 }) }), 'maxWeight 50 is ignored with stepWeights');
  });
  test('fails when mirrorWeight is out of range', () => {
    fails(build({ strategy: Strategy.blueGreenMirroring({ iterations: 3, mirrorWeight: 150 }) }), 'mirrorWeight 150 is out of range');
  });
  test('fails when an A/B test has no match', () => {
    fails(build({ strategy: Strategy.abTesting({ iterations: 3, match: [] }) }), 'A/B testing needs at least one match');
  });
  test('fails when the session cookie name is not a cookie name', () => {
    fails(
      build({ strategy: Strategy.sessionAffinity({ stepWeight: 10, cookieName: 'bad cookie' }) }),
      "cookieName 'bad cookie' is not a cookie name",
    );
  });
  test('fails when the threshold is out of range', () => {
    fails(build({ threshold: 0 }), 'threshold 0 is out of range', '1 to 100');
  });
  test('fails when the interval is not whole seconds', () => {
    fails(build({ interval: Duration.millis(10500) }), 'interval 10s500ms is not a whole number of seconds');
  });
  test('fails when the interval is shorter than the 10s Flagger runs at least', () => {
    fails(build({ interval: Duration.seconds(5) }), 'interval 5s', 'at least 10s', 'Duration.seconds(30)');
  });
  test('fails when a webhook timeout is not shorter than the interval', () => {
    fails(
      build({ interval: Duration.seconds(30), webhooks: [Webhook.heyLoadTest({ timeout: Duration.seconds(30) })] }),
      "webhook 'load-test' timeout 30s must be shorter than the analysis interval 30s",
      'lower the timeout',
    );
  });
  test('fails when a webhook URL is not http(s)', () => {
    fails(build({ webhooks: [Webhook.preRollout('check', { url: 'ftp://x' })] }), "webhook 'check' URL 'ftp://x' is not an http(s) URL");
  });
  test('fails when a webhook name is used twice', () => {
    fails(build({ webhooks: [Webhook.heyLoadTest(), Webhook.heyLoadTest()] }), "webhook 'load-test' is declared twice");
  });
  test('fails when a metric name is used twice', () => {
    fails(
      build({ metrics: [CanaryMetric.requestSuccessRate(), CanaryMetric.requestSuccessRate({ min: 95 })] }),
      "metric 'request-success-rate' is declared twice",
    );
  });
  test('fails when the success rate threshold is not a percentage', () => {
    fails(build({ metrics: [CanaryMetric.requestSuccessRate({ min: 120 })] }), 'request-success-rate min 120 is out of range');
  });
  test('fails when a template metric has no threshold, or min exceeds max', () => {
    const template = { templateName: 'errors', templateNamespace: 'istio-system', variableNames: [] };
    fails(build({ metrics: [CanaryMetric.fromTemplate(template, {})] }), "metric 'errors' has no threshold");
    fails(build({ metrics: [CanaryMetric.fromTemplate(template, { min: 5, max: 1 })] }), "metric 'errors' min 5 exceeds max 1");
  });
  test('fails when template variables are missing', () => {
    const template = { templateName: 'by-route', templateNamespace: 'istio-system', variableNames: ['route'] };
    fails(
      build({ metrics: [CanaryMetric.fromTemplate(template, { max: 1 })] }),
      'leaves template variables route',
      "pass them in 'variables'",
    );
  });
  test('fails when the target has no Service port of that name or number', () => {
    fails(build({ port: 9090 }), "port '9090' is not a Service port of demo/httpbin", 'ports: http:8000');
  });
  test('fails when the target has no HTTP Service port', () => {
    fails(
      build(
        {},
        { ports: [{ port: 5432, protocol: (require('../../../constructs') as typeof import('../../../constructs')).Protocol.TCP }] },
      ),
      'has no HTTP Service port',
      'ports: tcp:5432',
    );
  });
  test('fails when the app has fixed replicas above 1 (Flagger would start its primary with 1)', () => {
    fails(
      build({}, { replicas: 3 }),
      'CanaryRelease apps/canary',
      'asks for 3 fixed replicas',
      'httpbin-primary would start with 1',
      'give the app autoscaling (e.g. minReplicas 3, maxReplicas 3)',
    );
  });
  test('fails when the app has several versions', () => {
    fails(
      build({}, { versions: [{ name: 'v1' }, { name: 'v2' }] }),
      'has versions v1, v2',
      'Flagger rolls out one Deployment',
      'WeightedSplit',
    );
  });
  test('fails when hosts are given without a gateway, or a wildcard host would capture the mesh', () => {
    fails(build({ hosts: ['httpbin.example.com'] }), "need a gateway to arrive through; set 'gateways'");
    fails(build({ gateways: [GATEWAY], hosts: ['*'] }), "host '*' would capture every in-mesh request");
  });

  test('fails when the progress deadline is not a positive whole number of seconds', () => {
    fails(build({ progressDeadline: Duration.millis(1500) }), 'progressDeadline 1.5s', 'Duration.minutes(10)');
  });
  test('fails when the load tester URL is not an http(s) URL ending with a slash', () => {
    fails(
      build({ loadTesterUrl: 'http://flagger-loadtester.test' }),
      "loadTesterUrl 'http://flagger-loadtester.test' must be an http(s) URL ending with '/'",
    );
  });
  test('fails when a metric interval is not whole seconds', () => {
    fails(
      build({ metrics: [CanaryMetric.requestSuccessRate({ interval: Duration.millis(1500) })] }),
      "metric 'request-success-rate' interval 1s500ms is not whole seconds",
    );
  });
  test('fails when the request-duration maximum is not positive', () => {
    fails(
      build({ metrics: [CanaryMetric.requestDuration({ max: Duration.millis(0) })] }),
      'request-duration max 0ms is not a positive duration',
    );
  });
  test('fails when an alert name is used twice', () => {
    const { chart, httpbin } = setup();
    const slack = new AlertProvider(chart, 'slack', { channel: AlertChannel.SLACK, secretName: 'slack-url' });
    fails(
      () =>
        new CanaryRelease(chart, 'canary', {
          app: httpbin,
          strategy: Strategy.progressive({ stepWeight: 20 }),
          alerts: [{ provider: slack }, { provider: slack, severity: CanaryAlertSeverity.ERROR }],
        }),
      "alert 'slack' is declared twice",
      'its own name',
    );
  });
  test('fails when a gateway is listed twice, or a host is not a DNS name', () => {
    fails(build({ gateways: [GATEWAY, GATEWAY] }), 'gateways list one gateway twice', 'list each gateway once');
    fails(build({ gateways: [GATEWAY], hosts: ['Bad_Host'] }), "host 'Bad_Host' is not a DNS name");
  });
  test('fails when stepWeights is empty or stepWeightPromotion is out of range', () => {
    fails(build({ strategy: Strategy.progressive({ stepWeights: [] }) }), 'stepWeights is empty');
    fails(build({ strategy: Strategy.progressive({ stepWeight: 10, stepWeightPromotion: 0 }) }), 'stepWeightPromotion 0 is out of range');
  });
  test('fails when the session cookie max age is under a second', () => {
    fails(
      build({ strategy: Strategy.sessionAffinity({ stepWeight: 10, cookieName: 'canary', maxAge: Duration.millis(500) }) }),
      'session affinity maxAge 0.5s is not a positive whole number of seconds',
    );
  });
  test('fails when a template metric sets a variable the template does not use', () => {
    const template = { templateName: 'errors', templateNamespace: 'istio-system', variableNames: [] };
    fails(
      build({ metrics: [CanaryMetric.fromTemplate(template, { max: 1, variables: { route: '/api' } })] }),
      'sets variables route that template istio-system/errors does not use (it uses: none)',
    );
  });
  test('fails when the hey load test path or rate is wrong', () => {
    fails(build({ webhooks: [Webhook.heyLoadTest({ path: 'headers' })] }), "load test path 'headers' must start with '/'");
    fails(
      build({ webhooks: [Webhook.heyLoadTest({ requestsPerSecond: 0 })] }),
      'load test requestsPerSecond 0 is not a positive whole number',
    );
  });

  test('fails when a MetricTemplate uses a placeholder Flagger does not fill, or a fixed range', () => {
    const chart = new LayerChart(Testing.app(), 'platform', { layer: Layer.PLATFORM, namespace: 'istio-system' });
    fails(
      () =>
        new MetricTemplate(chart, 'bad', { prometheusUrl: 'http://p:9090', query: 'sum(rate(x{ns="{{ namespce }}"}[{{ interval }}]))' }),
      'MetricTemplate platform/bad',
      "'{{ namespce }}' is not one Flagger fills",
    );
    fails(
      () => new MetricTemplate(chart, 'fixed', { prometheusUrl: 'http://p:9090', query: 'sum(rate(x[5m]))' }),
      'fixed range selector',
      '[{{ interval }}]',
    );
  });

  test('fails when a MetricTemplate has a bad name, Prometheus URL or an empty query', () => {
    const chart = new LayerChart(Testing.app(), 'platform', { layer: Layer.PLATFORM, namespace: 'istio-system' });
    fails(
      () => new MetricTemplate(chart, 'Latency', { prometheusUrl: 'http://p:9090', query: 'up' }),
      'MetricTemplate platform/Latency',
      "name 'Latency' is not a DNS-1123 label",
    );
    fails(
      () => new MetricTemplate(chart, 'url', { prometheusUrl: 'prometheus:9090', query: 'up' }),
      "prometheusUrl 'prometheus:9090' is not an http(s) URL",
    );
    fails(() => new MetricTemplate(chart, 'empty', { prometheusUrl: 'http://p:9090', query: ' ' }), 'query is empty');
  });

  test('fails when Flagger gets no Prometheus URL, or the load tester no time to run commands', () => {
    const chart = new LayerChart(Testing.app(), 'platform', { layer: Layer.PLATFORM, namespace: 'istio-system' });
    fails(
      () => new Flagger(chart, 'flagger', { prometheusUrl: 'prometheus' }),
      'Flagger platform/flagger',
      "prometheusUrl 'prometheus' is not an http(s) URL",
    );
    fails(
      () => new FlaggerLoadTester(chart, 'load-tester', { commandTimeout: Duration.millis(10) }),
      'FlaggerLoadTester platform/load-tester',
      'commandTimeout 10ms is shorter than a second',
    );
  });

  test('fails when an AlertProvider is given something other than a Secret name', () => {
    const chart = new LayerChart(Testing.app(), 'platform', { layer: Layer.PLATFORM, namespace: 'istio-system' });
    fails(
      () =>
        new AlertProvider(chart, 'slack', { channel: AlertChannel.SLACK, secretName: 'https://hooks.slack.com/services/T000/B000/XXX' }),
      'AlertProvider platform/slack',
      'is not a Secret name',
      'never the URL itself',
    );
    fails(
      () => new AlertProvider(chart, 'On_Call', { channel: AlertChannel.SLACK, secretName: 'slack-url' }),
      "name 'On_Call' is not a DNS-1123 label",
    );
  });
});
