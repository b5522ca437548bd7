import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Testing } from 'cdk8s';
import { Layer, LayerChart, LAYERS } from '../../../charts';
import {
  GatewayDirection,
  CERT_MANAGER_API_GROUPS,
  CertManager,
  Flagger,
  FLAGGER_API_GROUPS,
  FlaggerLoadTester,
  HelmComponent,
  ISTIO_API_GROUPS,
  IstioBase,
  IstioCni,
  IstioGateway,
  Istiod,
  MeshNamespace,
  MetricTemplate,
} from '../../../constructs';
import { EnvironmentConfig, listEnvironmentFiles, loadEnvironmentFile } from '../../../stacks/environments';
import { checkLayering, crdInstallers, FLUX_API_GROUPS, KUBERNETES_API_GROUPS } from '../../../stacks/analysis/layering';
import { buildPlatform } from '../../../stacks/composition/platform';
import { renderCharts } from '../../../stacks/engines/render';
import { prodWithDemos } from '../../support/demo-opt-in';
import { chartDir, REPO_ROOT, sharedDir } from '../../support/shared-dir';

const PROMETHEUS = 'http://prometheus-server.observability:80';
const FLAGGER_REPO = { name: 'flagger', url: 'https://flagger.app' };

/** An app whose charts are built by `build`, rendered by the same path both engines use. */
function render(build: (app: App) => void) {
  const app = Testing.app();
  build(app);
  return renderCharts(app);
}

function flaggerIn(app: App, layer: Layer): Flagger {
  const chart = new LayerChart(app, `flagger-${layer}`, { layer, namespace: 'istio-system' });
  return new Flagger(chart, 'flagger', { prometheusUrl: PROMETHEUS });
}

function latencyIn(app: App, layer: Layer): MetricTemplate {
  const chart = new LayerChart(app, `templates-${layer}`, { layer, namespace: 'istio-system' });
  return MetricTemplate.istioP99Latency(chart, 'latency', { prometheusUrl: PROMETHEUS });
}

const environments: [string, EnvironmentConfig][] = [
  ...listEnvironmentFiles(REPO_ROOT)
    .map((f) => loadEnvironmentFile(f))
    .map((e) => [e.name, e] as [string, EnvironmentConfig]),
  ['prod with demos', prodWithDemos()],
];

describe('layering: a custom resource comes after the component that installs its CRD', () => {
  test.each(environments)('%s: every object of every layer can be applied when its layer is', (_name, env) => {
    const app = buildPlatform(env);
    const charts = renderCharts(app);
    expect(checkLayering(app, charts)).toEqual([]);
    // Flagger in platform, the MetricTemplate it serves in platform-configs (the defect: both in platform).
    const layerOf = (kind: string) => charts.find((c) => c.objects.some((o) => o.kind === kind))?.layer;
    expect(charts.find((c) => c.objects.some((o) => o.kind === 'HelmRelease' && o.metadata.name === 'flagger'))?.layer).toBe(
      Layer.PLATFORM,
    );
    expect(layerOf('MetricTemplate')).toBe(Layer.PLATFORM_CONFIGS);
  });

  test('the shared latency template and the canary alert provider are in chart progressive-delivery-configs, layer platform-configs', () => {
    const env = loadEnvironmentFile(path.join(REPO_ROOT, 'Pulumi.staging.yaml'));
    const charts = renderCharts(
      buildPlatform({ ...env, canary: { ...env.canary, alerts: { channel: 'slack', secretName: 'flagger-slack' } } }),
    );
    const configs = charts.find((c) => c.id === 'progressive-delivery-configs')!;
    expect(configs.layer).toBe(Layer.PLATFORM_CONFIGS);
    expect(configs.objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'MetricTemplate istio-system/latency',
      'AlertProvider istio-system/canary-alerts',
    ]);
    const platform = charts.find((c) => c.id === 'progressive-delivery')!;
    expect(platform.objects.filter((o) => o.apiVersion.startsWith('flagger.app/'))).toEqual([]);
  });

  test('fails when a custom resource shares the layer of the release that installs its CRD', () => {
    expect(() =>
      render((app) => {
        flaggerIn(app, Layer.PLATFORM);
        latencyIn(app, Layer.PLATFORM);
      }),
    ).toThrow(
      "flagger.app/v1beta1 MetricTemplate istio-system/latency (chart 'templates-platform', layer platform): its CRD (API group 'flagger.app') is installed by the Helm release 'flagger' (flagger-platform/flagger/flagger, chart 'flagger-platform') in the same layer platform; " +
        'Flux dry-runs a whole layer before helm-controller installs its releases, so this layer could never apply ("no matches for kind MetricTemplate"); ' +
        'move the object to a chart of a later layer (platform-configs, apps) or the component to an earlier one',
    );
  });

  test('fails when a custom resource comes before the release that installs its CRD', () => {
    expect(() =>
      render((app) => {
        flaggerIn(app, Layer.PLATFORM);
        latencyIn(app, Layer.MESH);
      }),
    ).toThrow(
      /MetricTemplate istio-system\/latency \(chart 'templates-mesh', layer mesh\): its CRD \(API group 'flagger.app'\) is installed by the Helm release 'flagger' .* in the later layer platform; .*move the object to a chart of a later layer \(platform-configs, apps\)/,
    );
  });

  test('fails when no component installs the CRD of a kind (and neither Kubernetes nor Flux serves it)', () => {
    expect(() =>
      render((app) => {
        const chart = new LayerChart(app, 'monitoring', { layer: Layer.PLATFORM_CONFIGS });
        new ApiObject(chart, 'mesh', {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'ServiceMonitor',
          metadata: { name: 'mesh', namespace: 'observability' },
        });
      }),
    ).toThrow(
      "monitoring.coreos.com/v1 ServiceMonitor observability/mesh (chart 'monitoring', layer platform-configs): no component of the platform installs the CRD of API group 'monitoring.coreos.com', and neither Kubernetes nor Flux serves it, " +
        'so the layer can never apply ("no matches for kind ServiceMonitor"); declare the group in crdApiGroups of the HelmComponent whose chart installs it, in an earlier layer, or add its CustomResourceDefinition to this layer or an earlier one',
    );
  });

  test('reports every misplaced object at once', () => {
    expect(() =>
      render((app) => {
        const chart = new LayerChart(app, 'everything', { layer: Layer.INFRASTRUCTURE, namespace: 'istio-system' });
        new IstioBase(chart, 'istio-base');
        new ApiObject(chart, 'pa', {
          apiVersion: 'security.istio.io/v1',
          kind: 'PeerAuthentication',
          metadata: { name: 'default', namespace: 'istio-system' },
        });
        new ApiObject(chart, 'sm', {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'ServiceMonitor',
          metadata: { name: 'x', namespace: 'istio-system' },
        });
      }),
    ).toThrow(/PeerAuthentication istio-system\/default .*\n.*ServiceMonitor istio-system\/x/);
  });

  test('passes for Kubernetes and Flux kinds in any layer, and for a CRD declared in the same or an earlier layer', () => {
    const charts = render((app) => {
      const first = new LayerChart(app, 'first', { layer: Layer.INFRASTRUCTURE });
      new ApiObject(first, 'ns', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
      new ApiObject(first, 'np', {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'deny', namespace: 'shop' },
        spec: { podSelector: {} },
      });
      new ApiObject(first, 'hpa', {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'web', namespace: 'shop' },
      });
      new ApiObject(first, 'repo', {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'HelmRepository',
        metadata: { name: 'x', namespace: 'flux-system' },
      });
      new ApiObject(first, 'ks', {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'x', namespace: 'flux-system' },
      });
      new ApiObject(first, 'crd', {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'widgets.example.com' },
        spec: { group: 'example.com' },
      });
      new ApiObject(first, 'widget', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'a', namespace: 'shop' } });
      const second = new LayerChart(app, 'second', { layer: Layer.APPS });
      new ApiObject(second, 'widget', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'b', namespace: 'shop' } });
    });
    expect(charts.flatMap((c) => c.objects)).toHaveLength(8);
  });

  test('fails when the only CRD of a kind is declared in a later layer', () => {
    expect(() =>
      render((app) => {
        const first = new LayerChart(app, 'first', { layer: Layer.MESH });
        new ApiObject(first, 'widget', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'a' } });
        const second = new LayerChart(app, 'second', { layer: Layer.PLATFORM });
        new ApiObject(second, 'crd', {
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name: 'widgets.example.com' },
          spec: { group: 'example.com' },
        });
      }),
    ).toThrow(
      "example.com/v1 Widget a (chart 'first', layer mesh): its CRD (API group 'example.com') is installed by a CustomResourceDefinition of chart 'second' in the later layer platform;",
    );
  });

  test('fails when a release installs into a namespace the platform declares only in a later layer', () => {
    expect(() =>
      render((app) => {
        const platform = new LayerChart(app, 'platform', { layer: Layer.PLATFORM });
        new FlaggerLoadTester(platform, 'load-tester', { namespace: 'loadtest' });
        const apps = new LayerChart(app, 'apps', { layer: Layer.APPS });
        new MeshNamespace(apps, 'ns', { name: 'loadtest' });
      }),
    ).toThrow(
      "platform/load-tester/flagger-loadtester: the Helm release 'flagger-loadtester' (chart 'platform', layer platform) installs into namespace 'loadtest', which the platform declares in the later layer apps (chart 'apps'); " +
        'Helm would create the namespace first, without its labels (such as istio-injection), and its pods would start without them; declare the Namespace in layer platform or an earlier one, or move the component to layer apps',
    );
  });

  test('a release and the namespace it installs into may share a layer (Flux applies Namespaces first)', () => {
    expect(() =>
      render((app) => {
        const platform = new LayerChart(app, 'platform', { layer: Layer.PLATFORM });
        new MeshNamespace(platform, 'ns', { name: 'loadtest' });
        new FlaggerLoadTester(platform, 'load-tester', { namespace: 'loadtest' });
      }),
    ).not.toThrow();
  });

  test('crdInstallers: the API groups of each component and its layer', () => {
    const app = buildPlatform(loadEnvironmentFile(path.join(REPO_ROOT, 'Pulumi.prod.yaml')));
    const installers = crdInstallers(app);
    expect(
      Object.fromEntries([...installers].map(([group, list]) => [group, list.map((i) => `${i.component.releaseName}@${i.layer}`)])),
    ).toEqual({
      'networking.istio.io': ['istio-base@infrastructure'],
      'security.istio.io': ['istio-base@infrastructure'],
      'telemetry.istio.io': ['istio-base@infrastructure'],
      'extensions.istio.io': ['istio-base@infrastructure'],
      'cert-manager.io': ['cert-manager@infrastructure'],
      'acme.cert-manager.io': ['cert-manager@infrastructure'],
      'flagger.app': ['flagger@platform'],
    });
  });

  test('the layers, in apply order: controllers before the objects that configure them', () => {
    expect(LAYERS).toEqual(['flux-system', 'infrastructure', 'mesh', 'platform', 'platform-configs', 'apps']);
  });

  test("the README's Flux layers table lists every layer, in apply order", () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Flux layers'), readme.indexOf('\n## ', readme.indexOf('### Flux layers')));
    const rows = [...section.matchAll(/^\| `([a-z-]+)\/` \|/gm)].map((m) => m[1]);
    expect(rows).toEqual([...LAYERS]);
  });

  test('clusterApiGroups: an app-only tree for a cluster where the platform already runs', () => {
    const build = (app: App) => latencyIn(app, Layer.APPS);
    expect(() => render(build)).toThrow(/no component of the platform installs the CRD of API group 'flagger.app'/);
    const app = Testing.app();
    build(app);
    expect(
      renderCharts(app, { clusterApiGroups: FLAGGER_API_GROUPS })
        .flatMap((c) => c.objects)
        .map((o) => o.kind),
    ).toEqual(['MetricTemplate']);
  });

  test('fails when a component declares something that is not a CRD API group', () => {
    const chart = new LayerChart(Testing.app(), 'platform', { layer: Layer.PLATFORM });
    expect(
      () =>
        new HelmComponent(chart, 'flagger', {
          repository: FLAGGER_REPO,
          chart: 'flagger',
          version: '1.44.0',
          namespace: 'istio-system',
          crdApiGroups: ['flagger.app/v1beta1'],
        }),
    ).toThrow(
      "HelmComponent platform/flagger: crdApiGroups: 'flagger.app/v1beta1' is not the API group of a CRD (a DNS subdomain with at least one dot, without version); use e.g. 'flagger.app' or 'cert-manager.io'",
    );
    expect(
      () =>
        new HelmComponent(chart, 'apps', {
          repository: FLAGGER_REPO,
          chart: 'flagger',
          version: '1.44.0',
          namespace: 'istio-system',
          crdApiGroups: ['apps'],
        }),
    ).toThrow(/crdApiGroups: 'apps' is not the API group of a CRD/);
  });
});

describe('the API groups components declare are the ones their upstream charts install', () => {
  /** The API groups of every CustomResourceDefinition in a chart folder (crds/, templates/, files/), subcharts included. */
  function chartCrdGroups(dir: string): string[] {
    const groups = new Set<string>();
    const walk = (d: string) => {
      for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, entry.name);
        if (entry.isDirectory()) {
          if (entry.name !== 'ci' && entry.name !== 'tests') walk(p);
        } else if (/\.ya?ml$/.test(entry.name)) {
          const text = fs.readFileSync(p, 'utf8');
          // Templates are not YAML until rendered: read each document's kind and group as text.
          for (const doc of text.split(/^---\s*$/m)) {
            if (!/^kind:\s*CustomResourceDefinition\s*$/m.test(doc)) continue;
            const group = /^ {2}group:\s*([a-z0-9.-]+)\s*$/m.exec(doc);
            if (group) groups.add(group[1]);
          }
        }
      }
    };
    walk(dir);
    return [...groups].sort();
  }

  const chart = () => new LayerChart(Testing.app(), 'c', { layer: Layer.INFRASTRUCTURE, namespace: 'istio-system' });
  const base = () => new IstioBase(chart(), 'istio-base');
  const components: [string, () => HelmComponent][] = [
    ['istio base', base],
    ['istio cni', () => new IstioCni(chart(), 'istio-cni', { base: base() })],
    ['istiod', () => new Istiod(chart(), 'istiod', { base: base() })],
    [
      'istio gateway',
      () =>
        new IstioGateway(chart(), 'istio-ingressgateway', {
          istiod: new Istiod(chart(), 'istiod', { base: base() }),
          direction: GatewayDirection.INGRESS,
        }),
    ],
    ['cert-manager', () => new CertManager(chart(), 'cert-manager')],
    ['flagger', () => new Flagger(chart(), 'flagger', { prometheusUrl: PROMETHEUS }).component],
    ['flagger load tester', () => new FlaggerLoadTester(chart(), 'load-tester').component],
  ];

  test.each(components)('%s', (_name, make) => {
    sharedDir();
    const component = make();
    expect([...component.crdApiGroups].sort()).toEqual(chartCrdGroups(chartDir(component.chart, component.version)));
  });

  test('the observability charts (prometheus-community prometheus, grafana, jaeger, kiali-server) install no CRD, so the stack declares none', () => {
    const app = buildPlatform(loadEnvironmentFile(path.join(REPO_ROOT, 'Pulumi.prod.yaml')));
    const observability = app.node
      .findAll()
      .filter((c): c is HelmComponent => c instanceof HelmComponent && c.node.path.startsWith('observability/'));
    expect(observability.map((c) => c.chart).sort()).toEqual(['grafana', 'jaeger', 'kiali-server', 'prometheus']);
    for (const c of observability) {
      expect(c.crdApiGroups).toEqual([]);
      expect({ chart: c.chart, groups: chartCrdGroups(chartDir(c.chart, c.version)) }).toEqual({ chart: c.chart, groups: [] });
    }
  });

  test('the exported group lists', () => {
    expect(ISTIO_API_GROUPS).toEqual(['networking.istio.io', 'security.istio.io', 'telemetry.istio.io', 'extensions.istio.io']);
    expect(CERT_MANAGER_API_GROUPS).toEqual(['cert-manager.io', 'acme.cert-manager.io']);
    expect(FLAGGER_API_GROUPS).toEqual(['flagger.app']);
  });

  test("Flux's groups are the toolkit groups of the flux2 chart's CRDs that bootstrap installs", () => {
    const groups = chartCrdGroups(path.join(sharedDir(), 'helm', 'charts', 'flux2-2.17.0'));
    for (const g of FLUX_API_GROUPS) expect(groups).toContain(g);
  });

  test('the Kubernetes groups are the groups the Kubernetes OpenAPI document serves', () => {
    const doc = JSON.parse(fs.readFileSync(path.join(sharedDir(), 'crds', 'kubernetes-openapi-v2.json'), 'utf8')) as {
      paths: Record<string, unknown>;
    };
    const served = new Set(
      Object.keys(doc.paths).flatMap((p) => (p.startsWith('/api/v1/') ? [''] : (/^\/apis\/([^/]+)\/[^/]+\//.exec(p)?.slice(1, 2) ?? []))),
    );
    expect([...KUBERNETES_API_GROUPS].sort()).toEqual([...served].sort());
  });
});
