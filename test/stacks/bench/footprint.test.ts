import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import type { KubeObject } from '../../../constructs/core/kube-object';
import {
  CHART_MODELS,
  coalesceValues,
  computeFootprint,
  DEV_FOOTPRINT_TARGET,
  FLUX_CONTROLLERS,
  Footprint,
  footprintTable,
  requestsOf,
} from '../../../stacks/bench/footprint';
import { budgetProblems, environmentFootprint } from '../../../stacks/bench/footprint-command';
import { FLUX_VALUES } from '../../../stacks/engines/pulumi/program';
import { REPO_ROOT, chartDir } from '../../support/shared-dir';
import { runCli as run } from '../../support/cli';
import { minihelmBinary, renderWithMinihelm } from '../../support/istio-chart-model';

const dev = environmentFootprint({ env: 'dev', configDir: REPO_ROOT });

/** The components whose containers request no CPU or memory: nothing the scheduler (or this footprint) can account for. */
function withoutRequests(f: Footprint): string[] {
  return f.components.filter((c) => c.withoutRequests.length > 0).map((c) => `${c.name}: ${c.withoutRequests.join(', ')}`);
}

function release(chart: string, version: string, name: string, namespace: string, values: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'helm.toolkit.fluxcd.io/v2',
    kind: 'HelmRelease',
    metadata: { name, namespace: 'flux-system' },
    spec: { releaseName: name, targetNamespace: namespace, chart: { spec: { chart, version } }, values },
  };
}

describe('the dev footprint (issue 15 item 3)', () => {
  test('dev requests at most 2 vCPU and 4 GiB in total, sidecars included', () => {
    expect(dev.total.cpuMilli).toBeLessThanOrEqual(DEV_FOOTPRINT_TARGET.cpuMilli);
    expect(dev.total.memoryBytes).toBeLessThanOrEqual(DEV_FOOTPRINT_TARGET.memoryBytes);
    expect(budgetProblems(dev, { env: 'dev', maxCpu: '2', maxMemory: '4Gi' })).toEqual([]);
  });

  test('every component of dev requests CPU and memory, sidecars included', () => {
    expect(withoutRequests(dev)).toEqual([]);
    for (const c of dev.components) {
      expect({ name: c.name, cpu: c.requests.cpuMilli > 0, memory: c.requests.memoryBytes > 0 }).toEqual({
        name: c.name,
        cpu: true,
        memory: true,
      });
    }
  });

  test('every component the environment runs is listed: the Helm releases, the apps at rest, one sidecar per injected pod', () => {
    const names = dev.components.map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'istiod',
        'istio-ingressgateway',
        'cert-manager (controller)',
        'cert-manager (webhook)',
        'cert-manager (cainjector)',
        'prometheus (server)',
        'prometheus (alertmanager)',
        'grafana',
        'jaeger',
        'kiali',
        'flagger',
        'flagger-loadtester',
      ]),
    );
    // Apps: a canaried target is counted as its primary only (Flagger scales the target to 0 at rest).
    const apps = dev.components.filter((c) => c.kind === 'app');
    expect(apps.length).toBeGreaterThan(0);
    for (const primary of names.filter((n) => n.endsWith('-primary'))) expect(names).not.toContain(primary.replace(/-primary$/, ''));
    // Every app pod of dev runs in an injected namespace: one sidecar each.
    for (const a of apps) expect({ app: a.name, sidecar: a.sidecars.cpuMilli > 0 }).toEqual({ app: a.name, sidecar: true });
    // The load tester runs in the injected namespace test: it has a sidecar; the observability stack has none.
    expect(dev.components.find((c) => c.name === 'flagger-loadtester')!.sidecars.cpuMilli).toBe(10);
    expect(dev.components.find((c) => c.name === 'grafana')!.sidecars).toEqual({ cpuMilli: 0, memoryBytes: 0 });
    // The Prometheus pod: the server and its config reloader.
    expect(dev.components.find((c) => c.name === 'prometheus (server)')!.requests).toEqual({ cpuMilli: 60, memoryBytes: 288 * 2 ** 20 });
    // Flux's controllers are listed beside the total, not in it.
    expect(dev.outside.map((o) => o.name)).toEqual(['Flux controllers']);
  });

  test('replicas at rest: an autoscaled workload at its minReplicas, a Flagger target as its primary, otherwise spec.replicas', () => {
    const deployment = (name: string, replicas?: number): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'shop' },
      spec: { replicas, template: { spec: { containers: [{ name, resources: { requests: { cpu: '100m', memory: '100Mi' } } }] } } },
    });
    const hpa = (target: string, minReplicas: number): KubeObject => ({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: target, namespace: 'shop' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target }, minReplicas, maxReplicas: 9 },
    });
    const canary = (target: string): KubeObject => ({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: { name: target, namespace: 'shop' },
      spec: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target } },
    });
    const f = computeFootprint([
      deployment('fixed', 3),
      deployment('default'),
      deployment('scaled', 1),
      hpa('scaled', 4),
      deployment('released'),
      hpa('released', 2),
      canary('released'),
      deployment('released-fixed'),
      canary('released-fixed'),
    ]);
    expect(Object.fromEntries(f.components.map((c) => [c.name, c.pods]))).toEqual({
      'shop/fixed': 3,
      'shop/default': 1,
      'shop/scaled': 4,
      'shop/released-primary': 2,
      'shop/released-fixed-primary': 1,
    });
    expect(f.total).toEqual({ cpuMilli: 1100, memoryBytes: 1100 * 2 ** 20 });
  });

  test("the README's dev table is what mesh footprint prints", () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const printed = footprintTable(dev)
      .split('\n')
      .filter((l) => l.startsWith('|'));
    const first = readme.indexOf(printed[0]);
    expect(first).toBeGreaterThan(0);
    const inReadme = readme.slice(first).split('\n').slice(0, printed.length);
    // On a difference: replace the README's table (Performance, "Footprint") with `npx mesh footprint --env dev`.
    expect(inReadme).toEqual(printed);
  });

  test('the table lists every component and the total', () => {
    const table = footprintTable(dev);
    for (const c of dev.components) expect(table).toContain(`| ${c.name} |`);
    expect(table).toMatch(/\| \*\*total\*\* \|/);
    expect(table).toMatch(/Sidecars: \d+ % of the CPU/);
  });

  test("left at its chart's defaults, istiod alone requests 500m and 2 GiB (what the issue measured)", () => {
    const objects = [
      release('istiod', '1.30.3', 'istiod', 'istio-system', { pilot: { autoscaleEnabled: false, replicaCount: 1 } }),
      release('gateway', '1.30.3', 'istio-ingressgateway', 'istio-system', { autoscaling: { enabled: false }, replicaCount: 1 }),
    ];
    const f = computeFootprint(objects);
    expect(f.components.find((c) => c.name === 'istiod')!.requests).toEqual({ cpuMilli: 500, memoryBytes: 2048 * 2 ** 20 });
  });
});

describe('components without requests are reported', () => {
  test("cert-manager and Alertmanager at their charts' defaults request nothing: the footprint names them", () => {
    const objects = [
      release('cert-manager', 'v1.20.3', 'cert-manager', 'cert-manager', {}),
      release('prometheus', '29.27.0', 'prometheus', 'observability', {
        server: { resources: { requests: { cpu: '50m', memory: '256Mi' } } },
        'kube-state-metrics': { enabled: false },
        'prometheus-node-exporter': { enabled: false },
        'prometheus-pushgateway': { enabled: false },
      }),
    ];
    expect(withoutRequests(computeFootprint(objects))).toEqual([
      'cert-manager (controller): cert-manager-controller (no cpu or memory request)',
      'cert-manager (webhook): cert-manager-webhook (no cpu or memory request)',
      'cert-manager (cainjector): cert-manager-cainjector (no cpu or memory request)',
      'prometheus (server): config-reloader (no cpu or memory request)',
      'prometheus (alertmanager): alertmanager (no cpu or memory request)',
    ]);
  });

  test('an app container without requests, and a sidecar annotated with a CPU request only, are reported', () => {
    const objects: KubeObject[] = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'shop' },
        spec: {
          replicas: 3,
          template: {
            metadata: { annotations: { 'sidecar.istio.io/proxyCPU': '50m' } },
            spec: { containers: [{ name: 'web' }] },
          },
        },
      },
    ];
    const f = computeFootprint(objects);
    expect(withoutRequests(f)).toEqual(['shop/web: web (no cpu or memory request), istio-proxy (no memory request)']);
    expect(f.components[0]).toMatchObject({ pods: 3, sidecars: { cpuMilli: 150, memoryBytes: 0 } });
  });

  test("sidecars follow Istio's injection selectors: the namespace label, then the pod's own", () => {
    const deployment = (name: string, namespace: string, labels: Record<string, string> = {}): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace },
      spec: {
        template: { metadata: { labels }, spec: { containers: [{ name, resources: { requests: { cpu: '10m', memory: '10Mi' } } }] } },
      },
    });
    const namespace = (name: string, injection?: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: injection ? { 'istio-injection': injection } : {} },
    });
    const f = computeFootprint([
      namespace('on', 'enabled'),
      namespace('off', 'disabled'),
      namespace('plain'),
      deployment('a', 'on'),
      deployment('b', 'on', { 'sidecar.istio.io/inject': 'false' }),
      deployment('c', 'off', { 'sidecar.istio.io/inject': 'true' }),
      deployment('d', 'plain', { 'sidecar.istio.io/inject': 'true' }),
      deployment('e', 'plain'),
      // A gateway: its own istio-proxy container, completed by the gateway injection template, no second proxy.
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'gw', namespace: 'on' },
        spec: {
          template: {
            metadata: { labels: { 'sidecar.istio.io/inject': 'true' }, annotations: { 'inject.istio.io/templates': 'gateway' } },
            spec: { containers: [{ name: 'istio-proxy', image: 'auto', resources: { requests: { cpu: '10m', memory: '10Mi' } } }] },
          },
        },
      },
    ]);
    expect(Object.fromEntries(f.components.map((c) => [c.name, c.sidecars.cpuMilli > 0]))).toEqual({
      'on/a': true,
      'on/b': false,
      'off/c': false,
      'plain/d': true,
      'plain/e': false,
      'on/gw': false,
    });
  });

  test('a chart the footprint does not know is an error naming it, not a silent gap', () => {
    expect(() => computeFootprint([release('redis', '1.0.0', 'cache', 'shop', {})])).toThrow(
      /HelmRelease cache installs chart 'redis' 1.0.0, whose pods the footprint does not know; add it to CHART_MODELS/,
    );
  });

  test('--max-cpu and --max-memory name the environment, the total and the limit', () => {
    expect(budgetProblems(dev, { env: 'dev', maxCpu: '100m', maxMemory: '1Gi' })).toEqual([
      expect.stringMatching(/^dev requests \d+m vCPU, above --max-cpu 100m/),
      expect.stringMatching(/^dev requests [0-9.]+Gi of memory, above --max-memory 1Gi/),
    ]);
    expect(() => budgetProblems(dev, { env: 'dev', maxCpu: 'lots' })).toThrow(/--max-cpu lots is not a positive quantity/);
  });
});

describe('the chart models agree with the upstream charts', () => {
  /** Every leaf path of a values map (an empty map is a leaf). */
  function leaves(v: unknown, prefix = ''): [string, unknown][] {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.keys(v).length === 0) return [[prefix, v]];
    return Object.entries(v).flatMap(([k, x]) => leaves(x, prefix ? `${prefix}.${k}` : k));
  }
  const at = (v: unknown, p: string): unknown => p.split('.').reduce<any>((x, k) => (x && typeof x === 'object' ? x[k] : undefined), v);
  const versions: Record<string, string> = {
    istiod: '1.30.3',
    gateway: '1.30.3',
    cni: '1.30.3',
    base: '1.30.3',
    'cert-manager': 'v1.20.3',
    flagger: '1.44.0',
    loadtester: '0.38.0',
    prometheus: '29.27.0',
    grafana: '11.6.1',
    jaeger: '4.4.7',
    'kiali-server': '2.29.0',
  };

  test.each(Object.keys(CHART_MODELS))("%s: every default the model reads is the chart values.yaml's", (chart) => {
    const dir = chartDir(chart, versions[chart]);
    let values = YAML.parse(fs.readFileSync(path.join(dir, 'values.yaml'), 'utf8'));
    // Subcharts' own defaults, under their name, below the parent's values (Helm's coalescing).
    const subcharts = path.join(dir, 'charts');
    if (fs.existsSync(subcharts)) {
      for (const sub of fs.readdirSync(subcharts)) {
        const file = path.join(subcharts, sub, 'values.yaml');
        if (fs.existsSync(file)) values = coalesceValues(values, { [sub]: YAML.parse(fs.readFileSync(file, 'utf8')) });
      }
    }
    for (const [p, expected] of leaves(CHART_MODELS[chart].defaults)) {
      if (p === '') continue;
      // Istio's charts keep their defaults under _internal_defaults_do_not_set (templates/zzz_profile.yaml).
      const actual = at(values, p) ?? at(values, `_internal_defaults_do_not_set.${p.replace(/^_internal_defaults_do_not_set\./, '')}`);
      expect({ chart, path: p, value: actual }).toEqual({ chart, path: p, value: expected });
    }
  });

  test("Flux's controllers: what the flux2 chart creates with the program's values, and their requests", () => {
    const values = YAML.parse(fs.readFileSync(path.join(chartDir('flux2', '2.17.0'), 'values.yaml'), 'utf8'));
    // Each key the program sets is one the chart has (a misspelt key would be ignored silently).
    for (const [key, v] of Object.entries(FLUX_VALUES)) expect([key, typeof values[key]?.create]).toEqual([key, typeof v.create]);
    const controllers = Object.entries(coalesceValues(FLUX_VALUES, values) as Record<string, unknown>)
      .filter(([key, v]: [string, any]) => key.endsWith('Controller') && v.create === true)
      .map(([, v]) => v) as any[];
    const sum = controllers.reduce(
      (s, c) => ({
        cpuMilli: s.cpuMilli + requestsOf(c.resources).cpuMilli,
        memoryBytes: s.memoryBytes + requestsOf(c.resources).memoryBytes,
      }),
      { cpuMilli: 0, memoryBytes: 0 },
    );
    expect({ pods: controllers.length, requests: sum }).toEqual(FLUX_CONTROLLERS);
  });

  const minihelm = minihelmBinary();
  (minihelm ? test.each(['dev', 'staging', 'prod']) : test.skip.each(['dev', 'staging', 'prod']))(
    'each release of %s renders (minihelm) the pods and requests the footprint counts',
    (env) => {
      const synthesized = require('../../../stacks/engines/render') as typeof import('../../../stacks/engines/render');
      const { buildPlatform } = require('../../../stacks/composition/platform') as typeof import('../../../stacks/composition/platform');
      const { loadEnvironmentFile } = require('../../../stacks/environments') as typeof import('../../../stacks/environments');
      const objects = synthesized
        .renderCharts(buildPlatform(loadEnvironmentFile(path.join(REPO_ROOT, `Pulumi.${env}.yaml`))))
        .flatMap((c) => c.objects);
      for (const r of objects.filter((o) => o.kind === 'HelmRelease') as any[]) {
        const { chart, version } = r.spec.chart.spec;
        const rendered = renderWithMinihelm(
          minihelm!,
          chart,
          version,
          r.spec.releaseName,
          r.spec.targetNamespace,
          r.spec.values ?? {},
        ) as any[];
        const pods = rendered.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind));
        const model = computeFootprint([r]).components;
        expect({ release: r.spec.releaseName, workloads: model.length }).toEqual({ release: r.spec.releaseName, workloads: pods.length });
        // Their own containers only: no Namespace here says which are injected (the model's sidecars are checked apart).
        // An autoscaled Deployment has no replicas: its HorizontalPodAutoscaler's minReplicas, as in a cluster.
        const renderedTotal = computeFootprint([
          ...pods,
          ...rendered.filter((o) => o.kind === 'HorizontalPodAutoscaler'),
        ]).components.reduce(
          (s, c) => ({ cpuMilli: s.cpuMilli + c.requests.cpuMilli, memoryBytes: s.memoryBytes + c.requests.memoryBytes }),
          { cpuMilli: 0, memoryBytes: 0 },
        );
        const modelTotal = model.reduce(
          (s, c) => ({ cpuMilli: s.cpuMilli + c.requests.cpuMilli, memoryBytes: s.memoryBytes + c.requests.memoryBytes }),
          {
            cpuMilli: 0,
            memoryBytes: 0,
          },
        );
        expect({ release: r.spec.releaseName, ...modelTotal }).toEqual({ release: r.spec.releaseName, ...renderedTotal });
      }
    },
  );
});

describe('mesh footprint (the command line)', () => {
  test('prints the table and exits 0 within the budget; above it, exit 1 with the reason', () => {
    const ok = run(['footprint', '--env', 'dev', '--max-cpu', '2', '--max-memory', '4Gi']);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('| **total** |');
    const over = run(['footprint', '--env', 'dev', '--max-memory', '1Gi']);
    expect(over.code).toBe(1);
    expect(over.err).toMatch(/error: dev requests [0-9.]+Gi of memory, above --max-memory 1Gi/);
  });

  test('--json: the components, the total in millicores and bytes, the problems', () => {
    const { code, out } = run(['footprint', '--env', 'dev', '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json).toMatchObject({ environment: 'dev', total: dev.total, sidecars: dev.sidecars, problems: [] });
    expect(json.components).toHaveLength(dev.components.length);
  });

  test('--dir: the footprint of a synthesized folder (the committed dist/dev of any commit) through the same code', () => {
    const os = require('node:os') as typeof import('node:os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'footprint-'));
    try {
      fs.mkdirSync(path.join(dir, 'apps'));
      fs.writeFileSync(
        path.join(dir, 'apps', 'shop.yaml'),
        YAML.stringify({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web', namespace: 'shop' },
          spec: {
            replicas: 2,
            template: { spec: { containers: [{ name: 'web', resources: { requests: { cpu: '100m', memory: '1Gi' } } }] } },
          },
        }),
      );
      const { code, out } = run(['footprint', '--dir', dir, '--json']);
      expect(code).toBe(0);
      expect(JSON.parse(out)).toMatchObject({
        total: { cpuMilli: 200, memoryBytes: 2 * 2 ** 30 },
        components: [{ name: 'shop/web', pods: 2 }],
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an unknown environment, both or neither of --env and --dir, or a bad budget is a usage error (exit 2)', () => {
    expect(run(['footprint', '--env', 'nope']).code).toBe(2);
    expect(run(['footprint']).code).toBe(2);
    expect(run(['footprint', '--env', 'dev', '--dir', 'dist/dev']).code).toBe(2);
    expect(run(['footprint', '--env', 'dev', '--max-cpu', 'x']).code).toBe(2);
  });
});
