import { PRODUCTION_REQUIRED } from '../../support/production';
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { Chart, Testing } from 'cdk8s';
import {
  GatewayDirection,
  IstioBase,
  IstioCni,
  IstioGateway,
  Istiod,
  ISTIO_VERSION,
  OBSERVABILITY_CHARTS,
  TracingProtocol,
} from '../../../constructs';
import { EnvironmentConfig, listEnvironmentFiles, loadEnvironmentFile, parseEnvironment } from '../../../stacks/environments';
import { buildPlatform } from '../../../stacks/composition/platform';
import { KubeObject, renderCharts } from '../../../stacks/engines/render';
import { istioChartValues, istiodMeshConfig, minihelmBinary, renderWithMinihelm } from '../../support/istio-chart-model';
import { chartDir, REPO_ROOT, sharedDir } from '../../support/shared-dir';

/**
 * Our values against the upstream charts at the pinned versions (`<shared>/helm/charts`): what the charts
 * do with them, not only what we set. `check-values.mjs` and `render-releases.mjs` (run by `.ci/run`)
 * check every key; these tests pin the defects that reached a real cluster.
 */

const envs = Object.fromEntries(
  listEnvironmentFiles(REPO_ROOT).map((f) => [path.basename(f).split('.')[1], loadEnvironmentFile(f)]),
) as Record<string, EnvironmentConfig>;

function helmReleases(config: EnvironmentConfig): KubeObject[] {
  return renderCharts(buildPlatform(config))
    .flatMap((c) => c.objects)
    .filter((o) => o.kind === 'HelmRelease');
}

function valuesOf(releases: KubeObject[], name: string): Record<string, unknown> {
  const r = releases.find((o) => o.metadata.name === name);
  if (!r) throw new Error(`no HelmRelease ${name}`);
  return ((r as any).spec.values ?? {}) as Record<string, unknown>;
}

const ISTIO_CHARTS = {
  'istio-base': 'base',
  'istio-cni': 'cni',
  istiod: 'istiod',
  'istio-ingressgateway': 'gateway',
  'istio-egressgateway': 'gateway',
} as const;

describe('pinned chart versions exist upstream', () => {
  test.each(Object.keys(envs))('every HelmRelease of %s pins a published chart version', (name) => {
    for (const r of helmReleases(envs[name]) as any[]) {
      const { chart, version } = r.spec.chart.spec;
      const dir = chartDir(chart, version);
      expect({ release: r.metadata.name, chart, version, published: fs.existsSync(dir) }).toEqual({
        release: r.metadata.name,
        chart,
        version,
        published: true,
      });
      expect(YAML.parse(fs.readFileSync(path.join(dir, 'Chart.yaml'), 'utf8')).version).toBe(version);
    }
  });

  test('jaeger 4.4.7 and kiali-server 2.29.0: 4.4.8 and 2.31.0 were never published', () => {
    expect(OBSERVABILITY_CHARTS.jaeger.version).toBe('4.4.7');
    expect(OBSERVABILITY_CHARTS.kiali.version).toBe('2.29.0');
    expect(fs.readFileSync(path.join(chartDir('jaeger', '4.4.7'), 'PROVENANCE'), 'utf8')).toMatch(/there is no 4\.4\.8/);
  });
});

describe('istiod: what the chart renders as mesh config', () => {
  test('the model of the chart reproduces the defect: defaultProviders with only tracing drops the metrics provider', () => {
    expect(istiodMeshConfig(ISTIO_VERSION, {}).defaultProviders).toEqual({ metrics: ['prometheus'] });
    expect(istiodMeshConfig(ISTIO_VERSION, { meshConfig: { defaultProviders: { tracing: ['jaeger'] } } }).defaultProviders).toEqual({
      tracing: ['jaeger'],
    });
  });

  test('Istio request metrics stay on with a tracing provider and without one', () => {
    const c = new Chart(Testing.app(), 'test');
    const base = new IstioBase(c, 'base');
    const traced = new Istiod(c, 'istiod', {
      base,
      tracing: { name: 'jaeger', protocol: TracingProtocol.OPENTELEMETRY, service: 'jaeger.observability.svc.cluster.local', port: 4317 },
    });
    const plain = new Istiod(new Chart(Testing.app(), 'plain'), 'istiod', { base: new IstioBase(c, 'base2') });
    expect(istiodMeshConfig(ISTIO_VERSION, traced.values).defaultProviders).toEqual({ metrics: ['prometheus'], tracing: ['jaeger'] });
    expect(istiodMeshConfig(ISTIO_VERSION, plain.values).defaultProviders).toEqual({ metrics: ['prometheus'] });
  });

  test.each(Object.keys(envs))(
    '%s: the rendered mesh config sends metrics to prometheus, traces to the configured provider, root namespace istio-system',
    (name) => {
      const mesh = istiodMeshConfig(ISTIO_VERSION, valuesOf(helmReleases(envs[name]), 'istiod'));
      expect(mesh.defaultProviders?.metrics).toEqual(['prometheus']);
      expect(mesh.defaultProviders?.tracing).toEqual(['jaeger']);
      expect(mesh.rootNamespace).toBe('istio-system');
    },
  );
});

describe("OpenShift: the charts' platform value, never an Istio profile", () => {
  const openshift = parseEnvironment(
    'prod',
    { ...PRODUCTION_REQUIRED, 'mesh:istio': { install: { profile: 'openshift', cni: true } } },
    'Pulumi.prod.yaml',
  );

  test('the model of the charts reproduces the defect: profile openshift is an unknown profile', () => {
    expect(() => istioChartValues('base', ISTIO_VERSION, { profile: 'openshift' })).toThrow(/base chart: unknown profile openshift/);
  });

  test('every Istio chart gets platform openshift (global.platform for istiod and cni) and merges its OpenShift overlay (Multus CNI, istiod CNI mode)', () => {
    const releases = helmReleases(openshift);
    const names = releases.map((r) => r.metadata.name).filter((n) => n in ISTIO_CHARTS);
    expect(names).toEqual(['istio-base', 'istio-cni', 'istiod', 'istio-ingressgateway', 'istio-egressgateway']);
    for (const name of names) {
      const values = valuesOf(releases, name);
      const where = name === 'istiod' || name === 'istio-cni' ? 'global.platform' : 'platform';
      const platform = where === 'platform' ? values.platform : (values.global as any)?.platform;
      expect({ name, profile: values.profile, [where]: platform }).toEqual({ name, profile: undefined, [where]: 'openshift' });
      const effective = istioChartValues(ISTIO_CHARTS[name as keyof typeof ISTIO_CHARTS], ISTIO_VERSION, values);
      expect({ name, provider: (effective.cni as any)?.provider }).toEqual({ name, provider: 'multus' });
    }
    expect(istioChartValues('istiod', ISTIO_VERSION, valuesOf(releases, 'istiod')).cni).toMatchObject({
      enabled: true,
      provider: 'multus',
    });
  });

  test('plain Kubernetes gets no platform overlay', () => {
    for (const [name, chart] of Object.entries(ISTIO_CHARTS)) {
      const values = helmReleases(envs.prod).find((r) => r.metadata.name === name);
      if (!values) continue;
      expect({ name, platform: (values as any).spec.values?.platform ?? (values as any).spec.values?.global?.platform }).toEqual({
        name,
        platform: undefined,
      });
      expect({
        name,
        provider: (istioChartValues(chart, ISTIO_VERSION, (values as any).spec.values ?? {}).cni as any)?.provider,
      }).not.toEqual({ name, provider: 'multus' });
    }
  });

  test.each([
    ['IstioBase', (c: Chart) => new IstioBase(c, 'base', { profile: 'ambient' as any })],
    ['IstioCni', (c: Chart) => new IstioCni(c, 'cni', { base: new IstioBase(c, 'base'), profile: 'ambient' as any })],
    ['Istiod', (c: Chart) => new Istiod(c, 'cni', { base: new IstioBase(c, 'base'), profile: 'ambient' as any, cni: true })],
    [
      'IstioGateway',
      (c: Chart) =>
        new IstioGateway(c, 'gw', {
          istiod: new Istiod(c, 'istiod', { base: new IstioBase(c, 'base') }),
          direction: GatewayDirection.INGRESS,
          profile: 'ambient' as any,
        }),
    ],
  ])('fails when %s is given a profile that is not default or openshift', (kind, make) => {
    expect(() => make(new Chart(Testing.app(), 'test'))).toThrow(
      new RegExp(
        `^${kind} test/\\w+: profile 'ambient' is not allowed; use one of IstioProfile\\.DEFAULT, IstioProfile\\.OPENSHIFT \\(OpenShift is IstioProfile\\.OPENSHIFT`,
      ),
    );
  });
});

describe('values the charts never read', () => {
  test('istio-cni: no global.istioNamespace (the cni chart never reads it)', () => {
    const cniTemplates = fs
      .readdirSync(path.join(chartDir('cni', ISTIO_VERSION), 'templates'))
      .map((f) => fs.readFileSync(path.join(chartDir('cni', ISTIO_VERSION), 'templates', f), 'utf8'));
    expect(cniTemplates.some((t) => t.includes('istioNamespace'))).toBe(false);
    expect(valuesOf(helmReleases(envs.prod), 'istio-cni')).toEqual({});
  });

  test("kiali: every key under auth, server and external_services is a key of the Kiali server's config (v2.30.0 key tree); no istio_namespace", () => {
    const kiali = valuesOf(helmReleases(envs.prod), 'kiali') as any;
    expect(kiali.istio_namespace).toBeUndefined();
    const keys = JSON.parse(fs.readFileSync(path.join(sharedDir(), 'helm', 'upstream', 'kiali-v2.30.0', 'config-keys.json'), 'utf8'));
    const unknown: string[] = [];
    const walk = (v: unknown, tree: any, at: string[]): void => {
      if (tree === true) return;
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        for (const [k, sub] of Object.entries(v)) {
          if (!tree || !(k in tree)) unknown.push([...at, k].join('.'));
          else walk(sub, tree[k], [...at, k]);
        }
      }
    };
    for (const section of ['auth', 'server', 'external_services']) walk(kiali[section], keys[section], [section]);
    expect(unknown).toEqual([]);
  });
});

const minihelm = minihelmBinary();
(minihelm ? describe : describe.skip)('rendered by minihelm ($MINIHELM, built by .ci/run)', () => {
  test.each(Object.keys(envs))('%s: the istio ConfigMap names prometheus as default metrics provider', (name) => {
    const objects = renderWithMinihelm(
      minihelm!,
      'istiod',
      ISTIO_VERSION,
      'istiod',
      'istio-system',
      valuesOf(helmReleases(envs[name]), 'istiod'),
    );
    const cm = objects.find((o) => o.kind === 'ConfigMap' && (o.metadata as any).name === 'istio') as any;
    expect(YAML.parse(cm.data.mesh).defaultProviders).toEqual({ metrics: ['prometheus'], tracing: ['jaeger'] });
  });

  test('OpenShift: every Istio chart renders (no unknown profile)', () => {
    const releases = helmReleases(
      parseEnvironment(
        'prod',
        { ...PRODUCTION_REQUIRED, 'mesh:istio': { install: { profile: 'openshift', cni: true } } },
        'Pulumi.prod.yaml',
      ),
    );
    for (const [name, chart] of Object.entries(ISTIO_CHARTS)) {
      const objects = renderWithMinihelm(minihelm!, chart, ISTIO_VERSION, name, 'istio-system', valuesOf(releases, name));
      expect(objects.length).toBeGreaterThan(0);
    }
  });
});
