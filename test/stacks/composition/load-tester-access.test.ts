import * as path from 'node:path';
import { Chart, Duration, Testing } from 'cdk8s';
import { LOAD_TESTER_WEBHOOK_PATHS, LoadTesterAccessChart } from '../../../charts';
import {
  CanaryRelease,
  ChartWorkload,
  Flagger,
  FlaggerLoadTester,
  MeshApp,
  MtlsMode,
  Strategy,
  Webhook,
  ZeroTrustPolicy,
} from '../../../constructs';
import { AccessExplainer, workloadsOf } from '../../../stacks/inspection/access';
import { accessCheck, environmentForAccess } from '../../../stacks/cli/access';
import { main } from '../../../stacks/cli/main';
import { KubeObject, renderCharts } from '../../../stacks/engines/render';
import { buildPlatform } from '../../../stacks/composition/platform';
import { minihelmBinary, renderWithMinihelm } from '../../support/istio-chart-model';
import { prodWithDemos } from '../../support/demo-opt-in';
import { REPO_ROOT } from '../../support/shared-dir';

const ROOT = REPO_ROOT;
const FLAGGER: ChartWorkload = {
  name: 'flagger',
  namespace: 'istio-system',
  serviceAccount: 'flagger',
  podLabels: { 'app.kubernetes.io/name': 'flagger' },
  port: 8080,
};
const LOAD_TESTER: ChartWorkload = {
  name: 'flagger-loadtester',
  namespace: 'test',
  serviceAccount: 'flagger-loadtester',
  podLabels: { app: 'loadtester' },
  port: 8080,
};
const PROMETHEUS = { namespace: 'observability', serviceAccount: 'prometheus-server', podLabels: { app: 'prometheus' } };

/** One request of Flagger (or another caller) to the load tester of an environment. */
function check(env: string, opts: { from?: string; method?: string; path?: string; port?: string }) {
  const { objects, chartWorkloads } = environmentForAccess(ROOT, env);
  return accessCheck(
    objects,
    {
      from: opts.from ?? 'istio-system/flagger',
      to: 'test/flagger-loadtester',
      method: opts.method ?? 'POST',
      path: opts.path ?? '/',
      header: [],
      port: opts.port,
    },
    chartWorkloads,
  );
}

describe('Flagger reaches its load tester under STRICT mTLS (access explainer)', () => {
  test.each(['staging', 'prod'])('%s: Flagger, outside the mesh, calls the load-test, gate and rollback webhooks: ALLOW', (env) => {
    for (const p of LOAD_TESTER_WEBHOOK_PATHS) {
      const { decision, text } = check(env, { path: p });
      expect(decision).toMatchObject({ verdict: 'allow', decidedBy: 'AuthorizationPolicy test/flagger-loadtester' });
      expect(text).toMatch(
        new RegExp(
          `^ALLOW: istio-system/flagger \\(no sidecar: plain text\\) -> test/flagger-loadtester POST ${p.replace(/\//g, '\\/')}\\n`,
        ),
      );
    }
  });

  test.each(['staging', 'prod'])(
    "%s: without the port-level exception STRICT mTLS resets Flagger's plain text before authorization (the defect)",
    (env) => {
      const { objects, chartWorkloads } = environmentForAccess(ROOT, env);
      const withoutException = objects.filter((o) => !(o.kind === 'PeerAuthentication' && o.metadata.namespace === 'test'));
      const { decision } = accessCheck(
        withoutException,
        { from: 'istio-system/flagger', to: 'test/flagger-loadtester', method: 'POST', path: '/gate/check', header: [] },
        chartWorkloads,
      );
      expect(decision).toMatchObject({
        allowed: false,
        decidedBy: 'PeerAuthentication istio-system/default',
        reason: expect.stringMatching(/^plain text refused/),
      });
    },
  );

  test('dev (PERMISSIVE mesh-wide) needs no exception and renders none; Flagger is allowed there too', () => {
    const { objects } = environmentForAccess(ROOT, 'dev');
    expect(objects.filter((o) => o.kind === 'PeerAuthentication' && o.metadata.namespace === 'test')).toEqual([]);
    expect(check('dev', { path: '/gate/check' }).decision.allowed).toBe(true);
  });

  test.each(['staging', 'prod'])(
    '%s: zero trust for the rest: other paths, other methods, other ports and every caller of the mesh are denied',
    (env) => {
      expect(check(env, { path: '/gate/open' }).decision).toMatchObject({ allowed: false, message: 'RBAC: access denied' });
      expect(check(env, { path: '/rollback/open' }).decision.allowed).toBe(false);
      expect(check(env, { method: 'GET', path: '/' }).decision.allowed).toBe(false);
      expect(check(env, { path: '/', port: '9090' }).decision.allowed).toBe(false);
      // A workload of the mesh has a peer identity, so the plain-text-only rule never matches it.
      const { objects, chartWorkloads } = environmentForAccess(ROOT, env);
      const meshCaller = {
        source: { namespace: 'observability', serviceAccount: 'prometheus-server' },
        destination: { namespace: 'test', labels: { app: 'loadtester' }, port: 8080 },
        method: 'POST',
        path: '/',
      };
      expect(new AccessExplainer(objects).check(meshCaller)).toMatchObject({ allowed: false, message: 'RBAC: access denied' });
      expect(
        workloadsOf(objects, chartWorkloads)
          .filter((w) => w.namespace !== 'demo' && w.namespace !== 'bookinfo' && w.namespace !== 'canary')
          .sort((a, b) => a.app.localeCompare(b.app)),
      ).toEqual([
        {
          app: 'flagger',
          namespace: 'istio-system',
          labels: { 'app.kubernetes.io/name': 'flagger' },
          port: 8080,
          serviceAccount: 'flagger',
          inMesh: false,
        },
        {
          app: 'flagger-loadtester',
          namespace: 'test',
          labels: { app: 'loadtester' },
          port: 8080,
          serviceAccount: 'flagger-loadtester',
          inMesh: true,
        },
      ]);
    },
  );

  test('staging: the demo apps cannot call the load tester either', () => {
    expect(check('staging', { from: 'demo/sleep', path: '/' }).decision).toMatchObject({ allowed: false, message: 'RBAC: access denied' });
  });

  test('the CLI: `access check --from istio-system/flagger --to test/flagger-loadtester` in prod', () => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => (written.push(String(chunk)), true));
    try {
      main([
        'access',
        'check',
        '--env',
        'prod',
        '--from',
        'istio-system/flagger',
        '--to',
        'test/flagger-loadtester',
        '-X',
        'POST',
        '--path',
        '/gate/check',
        '--config-dir',
        ROOT,
      ]);
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toBe(
      [
        'ALLOW: istio-system/flagger (no sidecar: plain text) -> test/flagger-loadtester POST /gate/check',
        '  decided by: AuthorizationPolicy test/flagger-loadtester',
        '  reason:     a rule of ALLOW policy AuthorizationPolicy test/flagger-loadtester matches',
        // Flagger's pods are known: the NetworkPolicies are evaluated too.
        '  network:    allowed by NetworkPolicy test/flagger-loadtester',
        '',
      ].join('\n'),
    );
  });
});

describe('the load tester access in each environment', () => {
  test.each(['dev', 'staging', 'prod'])('%s: in the platform layer, beside the load tester (Flux applies it before any Canary)', (env) => {
    const chart = renderCharts(
      buildPlatform(require('../../../stacks/environments').loadEnvironmentFile(path.join(ROOT, `Pulumi.${env}.yaml`))),
    ).find((c) => c.id === 'load-tester-access')!;
    expect(chart.layer).toBe('platform');
    expect(chart.objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'AuthorizationPolicy test/default-deny',
      'NetworkPolicy test/default-deny-ingress',
      'AuthorizationPolicy test/flagger-loadtester',
      ...(env === 'dev' ? [] : ['PeerAuthentication test/flagger-loadtester']),
      'NetworkPolicy test/flagger-loadtester',
      'Sidecar test/flagger-loadtester',
    ]);
  });

  test('dev: the load tester sees only the canary Services of the Canaries that call it and the tracing collector', () => {
    const objects = renderCharts(
      buildPlatform(require('../../../stacks/environments').loadEnvironmentFile(path.join(ROOT, 'Pulumi.dev.yaml'))),
    ).flatMap((c) => c.objects) as any[];
    const sidecar = objects.find((o) => o.kind === 'Sidecar' && o.metadata.namespace === 'test');
    const canaries = objects.filter((o) => o.kind === 'Canary' && o.spec.analysis.webhooks?.some((w: any) => w.url.includes('.test')));
    expect(canaries.length).toBeGreaterThan(0);
    expect(sidecar.spec.workloadSelector).toEqual({ labels: { app: 'loadtester' } });
    expect([...sidecar.spec.egress[0].hosts].sort()).toEqual(
      [
        ...canaries.map((c) => `${c.metadata.namespace}/${c.spec.targetRef.name}-canary.${c.metadata.namespace}.svc.cluster.local`),
        'observability/jaeger.observability.svc.cluster.local',
      ].sort(),
    );
  });

  test("prod with its demos: the httpbin canary's webhooks (load test and the manual gate) are the paths allowed", () => {
    const objects = renderCharts(buildPlatform(prodWithDemos())).flatMap((c) => c.objects) as any[];
    const urls = objects
      .find((o) => o.kind === 'Canary' && o.metadata.name === 'httpbin')
      .spec.analysis.webhooks.map((w: any) => new URL(w.url).pathname);
    const allowed = objects.find((o) => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'flagger-loadtester').spec.rules[0].to[0]
      .operation.paths;
    expect(urls).toEqual(['/', '/gate/check']);
    for (const p of urls) expect(allowed).toContain(p);
  });
});

describe('ZeroTrustPolicy.allowPlainText', () => {
  function synth(mtls: MtlsMode, props: { networkPolicies?: boolean; defaultDeny?: boolean } = {}) {
    const chart = new Chart(Testing.app(), 'c');
    const policy = new ZeroTrustPolicy(chart, 'policy', { mtls, prometheus: PROMETHEUS, sidecarScoping: false, ...props });
    policy.allowPlainText(FLAGGER, LOAD_TESTER, { methods: ['POST'], paths: ['/', '/gate/check'] });
    return { policy, objects: Testing.synth(chart) as any[] };
  }
  const find = (objects: any[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

  test('only requests without a peer identity, on the port, with the methods and paths; the namespace denies the rest', () => {
    const { objects } = synth(MtlsMode.STRICT);
    expect(find(objects, 'AuthorizationPolicy', 'default-deny')).toMatchObject({ metadata: { namespace: 'test' }, spec: {} });
    expect(find(objects, 'AuthorizationPolicy', 'flagger-loadtester').spec).toEqual({
      action: 'ALLOW',
      selector: { matchLabels: { app: 'loadtester' } },
      rules: [
        {
          from: [{ source: { notPrincipals: ['*'] } }],
          to: [{ operation: { ports: ['8080'], methods: ['POST'], paths: ['/', '/gate/check'] } }],
        },
      ],
    });
  });

  test('under STRICT, that port alone accepts plain text (PERMISSIVE: callers in the mesh keep mTLS); under PERMISSIVE nothing is needed', () => {
    expect(find(synth(MtlsMode.STRICT).objects, 'PeerAuthentication', 'flagger-loadtester').spec).toEqual({
      selector: { matchLabels: { app: 'loadtester' } },
      portLevelMtls: { 8080: { mode: 'PERMISSIVE' } },
    });
    expect(synth(MtlsMode.PERMISSIVE).objects.filter((o) => o.kind === 'PeerAuthentication')).toEqual([]);
  });

  test("the NetworkPolicy lets only the caller's pods reach the port (and Prometheus the sidecar's metrics); egress stays open", () => {
    expect(find(synth(MtlsMode.STRICT).objects, 'NetworkPolicy', 'flagger-loadtester').spec).toEqual({
      podSelector: { matchLabels: { app: 'loadtester' } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } },
              podSelector: { matchLabels: { 'app.kubernetes.io/name': 'flagger' } },
            },
          ],
          ports: [{ protocol: 'TCP', port: 8080 }],
        },
        {
          from: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } },
              podSelector: { matchLabels: { app: 'prometheus' } },
            },
          ],
          ports: [
            { protocol: 'TCP', port: 15020 },
            { protocol: 'TCP', port: 15090 },
          ],
        },
      ],
    });
    expect(synth(MtlsMode.STRICT, { networkPolicies: false }).objects.filter((o) => o.kind === 'NetworkPolicy')).toEqual([]);
  });

  test('names the workloads for the explainer', () => {
    expect(synth(MtlsMode.STRICT).policy.chartWorkloads).toEqual([LOAD_TESTER, FLAGGER]);
  });

  test('Flagger and FlaggerLoadTester describe their pods as their charts render them', () => {
    const chart = new Chart(Testing.app(), 'c');
    const flagger = new Flagger(chart, 'flagger', { prometheusUrl: 'http://prometheus-server.observability' });
    expect(flagger.workload).toEqual(FLAGGER);
    expect(new FlaggerLoadTester(chart, 'load-tester').workload).toEqual(LOAD_TESTER);
  });
});

describe('ZeroTrustPolicy.allowPlainText fails when', () => {
  const policy = () => new ZeroTrustPolicy(new Chart(Testing.app(), 'c'), 'policy');
  test.each([
    [{ to: { ...LOAD_TESTER, port: 0 } }, 'port 0 is not a port number; give the container port its API listens on'],
    [
      { to: { ...LOAD_TESTER, podLabels: {} } },
      'test/flagger-loadtester has no pod labels; give the labels its chart sets on its pods, which the policies select',
    ],
    [{ from: { ...FLAGGER, namespace: 'Istio' } }, 'Istio/flagger is not a namespace/name pair of DNS-1123 labels'],
    [{ access: { methods: ['post'] } }, "method 'post' is not an upper-case HTTP method; use 'POST'"],
    [
      { access: { paths: ['gate/check'] } },
      "path 'gate/check' is not an Istio path match; use an exact '/gate/check', a prefix '/api/*' or a suffix '*.json'",
    ],
    [{ access: { paths: [] } }, 'methods or paths is empty, which would allow nothing; list values or leave it out'],
  ])('%j', (bad: any, message) => {
    const from = bad.from ?? FLAGGER;
    const to = bad.to ?? LOAD_TESTER;
    expect(() => policy().allowPlainText(from, to, bad.access ?? {})).toThrow(
      `ZeroTrustPolicy c/policy: plain text from ${from.namespace}/${from.name} to ${to.namespace}/${to.name}: ${message}`,
    );
  });

  test('a caller is allowed twice, or the workload is described twice differently', () => {
    const p = policy();
    p.allowPlainText(FLAGGER, LOAD_TESTER);
    expect(() => p.allowPlainText(FLAGGER, LOAD_TESTER)).toThrow(
      'plain text from istio-system/flagger to test/flagger-loadtester: is allowed twice; allow each caller once, with every method and path',
    );
    expect(() => p.allowPlainText({ ...FLAGGER, name: 'other' }, { ...LOAD_TESTER, port: 9090 })).toThrow(
      /test\/flagger-loadtester is already governed with other pod labels or port/,
    );
  });
});

describe('LoadTesterAccessChart', () => {
  const props = {
    flagger: FLAGGER,
    loadTester: LOAD_TESTER,
    mtls: MtlsMode.STRICT,
    defaultDeny: true,
    networkPolicies: true,
    prometheus: PROMETHEUS,
  };
  function canary(scope: Chart, webhookPath: string) {
    const app = new MeshApp(scope, 'web', {
      image: 'web:1',
      ports: [{ port: 8080 }],
      autoscaling: { minReplicas: 2, maxReplicas: 4, cpuUtilization: 80 },
    });
    return new CanaryRelease(scope, 'web-canary', {
      app,
      strategy: Strategy.progressive({ stepWeight: 20, maxWeight: 100 }),
      webhooks: [Webhook.preRollout('smoke', { url: `http://flagger-loadtester.test${webhookPath}`, timeout: Duration.seconds(5) })],
    });
  }

  test("allows the platform's webhook paths and every other path a Canary's webhook names", () => {
    const app = Testing.app();
    canary(new Chart(app, 'apps', { namespace: 'shop' }), '/custom-check');
    const chart = new LoadTesterAccessChart(app, 'load-tester-access', props);
    expect(chart.webhookPaths).toEqual(['/', '/gate/check', '/rollback/check', '/custom-check']);
    expect(chart.layer).toBe('platform');
  });

  test('allows the path of a Canary created after it (the paths are read at synthesis)', () => {
    const app = Testing.app();
    const chart = new LoadTesterAccessChart(app, 'load-tester-access', props);
    canary(new Chart(app, 'apps', { namespace: 'shop' }), '/late');
    const allow = Testing.synth(chart).find((o) => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'flagger-loadtester');
    expect(allow.spec.rules[0].to[0].operation.paths).toEqual(['/', '/gate/check', '/rollback/check', '/late']);
    expect(chart.node.validate()).toEqual([]);
  });
});

const minihelm = minihelmBinary();
(minihelm ? describe : describe.skip)('the workloads match what the upstream charts render (minihelm)', () => {
  test.each([
    ['flagger', '1.44.0', 'flagger', 'istio-system', FLAGGER, {}],
    // With the values the platform gives (its own ServiceAccount comes from rbac.create).
    ['loadtester', '0.38.0', 'flagger-loadtester', 'test', LOAD_TESTER, new FlaggerLoadTester(Testing.chart(), 'lt').component.values],
  ] as const)('%s %s', (chart, version, release, namespace, workload, values) => {
    const objects = renderWithMinihelm(minihelm!, chart, version, release, namespace, values) as KubeObject[] as any[];
    const deployment = objects.find((o) => o.kind === 'Deployment');
    const pod = deployment.spec.template;
    expect(pod.metadata.labels).toMatchObject(workload.podLabels);
    expect(pod.spec.serviceAccountName ?? 'default').toBe(workload.serviceAccount);
    expect(pod.spec.containers[0].ports.map((p: any) => p.containerPort)).toContain(workload.port);
  });
});

describe('only the load tester reaches canaried apps, only Flagger its webhooks (issue 14 item 8)', () => {
  /** The explainer's view of an environment built from a config (production with its demos opted in included). */
  function environment(config: ReturnType<typeof prodWithDemos>) {
    const app = buildPlatform(config);
    // Rendered first, as environmentForAccess does: the policies admit Flagger at synthesis.
    const objects = renderCharts(app).flatMap((c) => c.objects);
    const chartWorkloads = app.node
      .findAll()
      .filter((c): c is ZeroTrustPolicy => c instanceof ZeroTrustPolicy)
      .flatMap((p) => p.chartWorkloads);
    return { objects, chartWorkloads };
  }
  const ENVIRONMENTS: [string, () => ReturnType<typeof environment>][] = [
    ['dev', () => environmentForAccess(ROOT, 'dev')],
    ['staging', () => environmentForAccess(ROOT, 'staging')],
    ['prod (demos opted in)', () => environment(prodWithDemos())],
  ];

  test.each(ENVIRONMENTS)(
    "%s: the load tester's ServiceAccount reaches the canaried httpbin; another ServiceAccount of test does not",
    (_, env) => {
      const { objects, chartWorkloads } = env();
      const call = (from: string) =>
        accessCheck(objects, { from, to: 'demo/httpbin', method: 'GET', path: '/status/200', header: [] }, chartWorkloads).decision;
      expect(call('test/flagger-loadtester')).toMatchObject({ verdict: 'allow', decidedBy: 'AuthorizationPolicy demo/httpbin' });
      expect(call('test/default')).toMatchObject({ verdict: 'deny' });
      expect(call('test/debug')).toMatchObject({ verdict: 'deny' });
      // The rule names the principal, not the namespace.
      const allow = objects.find(
        (o) => o.kind === 'AuthorizationPolicy' && o.metadata.namespace === 'demo' && o.metadata.name === 'httpbin',
      ) as any;
      expect(allow.spec.rules).toContainEqual({ from: [{ source: { principals: ['cluster.local/ns/test/sa/flagger-loadtester'] } }] });
      expect(JSON.stringify(allow.spec.rules)).not.toContain('"namespaces"');
    },
  );

  test.each(ENVIRONMENTS)('%s: nobody opens a gate over the network; only Flagger calls the webhook paths', (_, env) => {
    const { objects, chartWorkloads } = env();
    const call = (from: string, p: string) =>
      accessCheck(objects, { from, to: 'test/flagger-loadtester', method: 'POST', path: p, header: [] }, chartWorkloads).decision.verdict;
    const others = ['demo/sleep', 'test/debug', 'test/default', 'observability/prometheus-server', 'istio-system/istio-ingressgateway'];
    for (const from of ['istio-system/flagger', ...others])
      expect({ from, verdict: call(from, '/gate/open') }).toEqual({ from, verdict: 'deny' });
    expect(call('istio-system/flagger', '/gate/check')).toBe('allow');
    for (const from of others) expect({ from, verdict: call(from, '/gate/check') }).toEqual({ from, verdict: 'deny' });
  });

  test('a Canary whose webhook calls a load tester the tree does not deploy admits that namespace (the narrowest identity known)', () => {
    const apps = new Chart(Testing.app(), 'apps', { namespace: 'shop' });
    canaryTo(apps, 'http://my-loadtester.perf/');
    const objects = Testing.synth(apps);
    const allow = objects.find((o) => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'web');
    expect(allow.spec.rules).toContainEqual({ from: [{ source: { namespaces: ['perf'] } }] });
  });

  test("a Canary calling the tree's FlaggerLoadTester admits its principal and its pods (NetworkPolicy), not its namespace", () => {
    const app = Testing.app();
    new FlaggerLoadTester(new Chart(app, 'platform'), 'load-tester');
    const apps = new Chart(app, 'apps', { namespace: 'shop' });
    canaryTo(apps, 'http://flagger-loadtester.test/');
    const objects = Testing.synth(apps);
    const allow = objects.find((o) => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'web');
    expect(allow.spec.rules).toEqual([{ from: [{ source: { principals: ['cluster.local/ns/test/sa/flagger-loadtester'] } }] }]);
    const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'web');
    expect(policy.spec.ingress[0].from).toContainEqual({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'test' } },
      podSelector: { matchLabels: { app: 'loadtester' } },
    });
    expect(policy.spec.ingress[0].from).not.toContainEqual({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'test' } },
    });
  });

  /** A canaried app `web` in the chart's namespace, governed by a ZeroTrustPolicy, whose load-test webhook calls `url`. */
  function canaryTo(scope: Chart, url: string) {
    const web = new MeshApp(scope, 'web', { image: 'web:1', ports: [{ port: 8080 }] });
    new CanaryRelease(scope, 'web-canary', {
      app: web,
      strategy: Strategy.progressive({ stepWeight: 20, maxWeight: 100 }),
      webhooks: [Webhook.rollout('load', { url, metadata: { cmd: 'hey -z 1m http://web-canary.shop:8080/' } })],
    });
    new ZeroTrustPolicy(scope, 'policy', { apps: [web] });
  }
});
