import * as pulumi from '@pulumi/pulumi';
import { ApiObject, Duration, Testing } from 'cdk8s';
import { LAYERS, Layer, LayerChart } from '../../../../charts';
import { HelmComponent, HelmCrdPolicy, parseGoDuration } from '../../../../constructs';
import { EnvironmentConfig, listEnvironmentFiles, loadEnvironmentFile } from '../../../../stacks/environments';
import { buildPlatform } from '../../../../stacks/composition/platform';
import { apiGroupOf, crdInstallers } from '../../../../stacks/analysis/layering';
import {
  chartsDeclaredBy,
  declareApp,
  declarePlatform,
  FLUX_VALUES,
  LAYER_TYPE,
  PUSH_RETAIN_ON_DELETE,
} from '../../../../stacks/engines/pulumi/program';
import { objectKey, renderCharts } from '../../../../stacks/engines/render';
import { Declared, declareUnderMocks, layerOf } from '../../../support/pulumi-mocks';
import { REPO_ROOT } from '../../../support/shared-dir';

/** Runs the Pulumi program under the official mocks and records what it declares, with dependencies. */
const declare = (config: EnvironmentConfig) => declareUnderMocks(() => declarePlatform(config));

const environments = listEnvironmentFiles(`${REPO_ROOT}`).map(loadEnvironmentFile);
const isObject = (d: Declared) =>
  !d.read && d.type.startsWith('kubernetes:') && d.type !== 'kubernetes:yaml:ConfigGroup' && d.type !== 'kubernetes:helm.sh/v3:Release';
const isRelease = (d: Declared) => d.type === 'kubernetes:helm.sh/v3:Release';
const releaseNamed = (declared: Declared[], name: string) => declared.find((d) => isRelease(d) && d.inputs.name === name)!;
const objectNamed = (declared: Declared[], kind: string, name: string, namespace?: string) =>
  declared.find(
    (d) => isObject(d) && d.inputs.kind === kind && d.inputs.metadata.name === name && d.inputs.metadata.namespace === namespace,
  )!;

/** `fn`'s result, computed on the first call only. */
const once = <T>(fn: () => T): (() => T) => {
  let value: { v: T } | undefined;
  return () => (value ??= { v: fn() }).v;
};

describe.each(environments.map((e) => [e.name, e] as const))('Pulumi program, %s', (_name, env) => {
  const push: EnvironmentConfig = { ...env, delivery: 'push' };
  const gitops: EnvironmentConfig = { ...env, delivery: 'gitops' };
  // The program runs once per mode and environment (a second of CPU each); the tests read what it declared.
  // The push program's run, with what declarePlatform returned (the stack outputs).
  let pushPlatform: ReturnType<typeof declarePlatform> | undefined;
  const declaredPush = once(() => declareUnderMocks(() => (pushPlatform = declarePlatform(push))));
  const declaredGitops = once(() => declare(gitops));
  const pushApp = once(() => buildPlatform(push));
  const renderedPush = once(() => renderCharts(pushApp()));
  const renderedGitops = once(() => renderCharts(buildPlatform(gitops)));

  test('push mode declares every synthesized object and nothing else (parity)', async () => {
    const declared = await declaredPush();
    const charts = chartsDeclaredBy(renderedPush(), 'push');
    const plain = charts.flatMap((c) => c.objects).filter((o) => o.kind !== 'HelmRelease' && o.kind !== 'HelmRepository');
    const expected = plain.map((o) => `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}|${o.metadata.name}`).sort();
    const actual = declared
      .filter(isObject)
      .map((d) => `${d.inputs.apiVersion}|${d.inputs.kind}|${d.inputs.metadata.namespace ?? ''}|${d.inputs.metadata.name}`)
      .sort();
    expect(actual).toEqual(expected);

    // Documented difference: each Flux HelmRelease is one Pulumi Helm release with the same chart, version and values.
    const fluxReleases = charts.flatMap((c) => c.objects).filter((o) => o.kind === 'HelmRelease');
    const pulumiReleases = declared.filter((d) => d.type === 'kubernetes:helm.sh/v3:Release');
    expect(pulumiReleases.map((r) => r.inputs.name).sort()).toEqual(fluxReleases.map((o) => (o.spec as any).releaseName).sort());
    for (const release of fluxReleases) {
      const spec = release.spec as any;
      const match = pulumiReleases.find((r) => r.inputs.name === spec.releaseName)!;
      expect(match.inputs).toMatchObject({
        chart: expect.stringContaining(spec.chart.spec.chart),
        version: spec.chart.spec.version,
        namespace: spec.targetNamespace,
        values: spec.values ?? {},
      });
      expect(match.inputs.timeout).toBe(parseGoDuration(spec.timeout)!.toSeconds());
      const url = (
        charts.flatMap((c) => c.objects).find((o) => o.kind === 'HelmRepository' && o.metadata.name === spec.chart.spec.sourceRef.name)!
          .spec as any
      ).url;
      if (url.startsWith('oci://')) expect(match.inputs.chart).toBe(`${url}/${spec.chart.spec.chart}`);
      else expect(match.inputs.repositoryOpts).toEqual({ repo: url });
    }
  });

  test('push mode leaves out the flux-system layer', async () => {
    const declared = await declaredPush();
    const layers = declared.filter((d) => d.type === LAYER_TYPE).map((d) => d.name);
    expect(layers).not.toContain(Layer.FLUX_SYSTEM);
    expect(layers).toEqual(LAYERS.filter((l) => layers.includes(l)));
  });

  test('every object and release depends on every layer before its own', async () => {
    const declared = await declaredPush();
    const layers = declared.filter((d) => d.type === LAYER_TYPE);
    expect(layers.length).toBeGreaterThan(1);
    for (const d of declared.filter((x) => isObject(x) || x.type === 'kubernetes:helm.sh/v3:Release')) {
      const own = layerOf(d)!;
      const earlier = layers.slice(0, layers.indexOf(own));
      expect(
        d.dependsOn
          .filter((x) => x.type === LAYER_TYPE)
          .map((x) => x.name)
          .sort(),
      ).toEqual(earlier.map((l) => l.name).sort());
    }
  });

  test('gitops mode installs Flux and declares only the flux-system layer', async () => {
    const declared = await declaredGitops();
    const releases = declared.filter((d) => d.type === 'kubernetes:helm.sh/v3:Release');
    expect(releases.map((r) => r.inputs.name)).toEqual(['flux']);
    // Only the controllers the platform uses: the chart's image reflection and automation controllers are off.
    expect(releases[0].inputs.values).toEqual(FLUX_VALUES);
    const expected = chartsDeclaredBy(renderedGitops(), 'gitops')
      .flatMap((c) => c.objects)
      .map(objectKey)
      .sort();
    const actual = declared
      .filter(isObject)
      .map((d) => objectKey(d.inputs as any))
      .sort();
    expect(actual).toEqual(expected);
    expect(actual).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/GitRepository flux-system\//),
        expect.stringMatching(/Kustomization flux-system\/platform$/),
      ]),
    );
    for (const d of declared.filter(isObject)) expect(d.dependsOn.map((x) => x.name)).toContain('flux-install');
  });

  test('Helm releases keep the dependencies between them (Flux dependsOn becomes Pulumi dependsOn)', async () => {
    const declared = await declaredPush();
    const charts = renderedPush();
    const fluxReleases = charts.flatMap((c) => c.objects).filter((o) => o.kind === 'HelmRelease');
    const withDeps = fluxReleases.filter((o) => ((o.spec as any).dependsOn ?? []).length > 0);
    expect(withDeps.length).toBeGreaterThan(0);
    for (const o of withDeps) {
      const release = declared.find((d) => d.type === 'kubernetes:helm.sh/v3:Release' && d.inputs.name === (o.spec as any).releaseName)!;
      for (const dep of (o.spec as any).dependsOn) expect(release.dependsOn.map((x) => x.name)).toContain(dep.name);
    }
  });

  test('a custom resource depends on the Helm release that installs its CRD (the latency MetricTemplate after flagger)', async () => {
    const declared = await declaredPush();
    const flagger = releaseNamed(declared, 'flagger');
    expect(objectNamed(declared, 'MetricTemplate', 'latency', 'istio-system').dependsOn).toContain(flagger);
    // Every object of a group a component's chart installs, in every layer.
    const installers = crdInstallers(pushApp());
    let checked = 0;
    for (const d of declared.filter(isObject)) {
      const providers = installers.get(apiGroupOf(d.inputs.apiVersion)) ?? [];
      for (const p of providers) {
        expect({ object: `${d.inputs.kind} ${d.inputs.metadata.name}`, dependsOn: d.dependsOn.map((x) => x.name) }).toEqual({
          object: `${d.inputs.kind} ${d.inputs.metadata.name}`,
          dependsOn: expect.arrayContaining([p.component.releaseName]),
        });
        checked++;
      }
      if (providers.length === 0) expect(d.dependsOn.filter(isRelease)).toEqual([]);
    }
    expect(checked).toBeGreaterThan(3);
  });

  test('a release installed into a namespace the platform declares depends on that Namespace (the load tester waits for istio-injection)', async () => {
    const declared = await declaredPush();
    const namespace = objectNamed(declared, 'Namespace', 'test');
    expect(namespace.inputs.metadata.labels).toMatchObject({ 'istio-injection': 'enabled' });
    expect(releaseNamed(declared, 'flagger-loadtester').dependsOn).toContain(namespace);
    const declaredNamespaces = new Map(
      declared.filter((d) => isObject(d) && d.inputs.kind === 'Namespace').map((d) => [d.inputs.metadata.name as string, d]),
    );
    for (const release of declared.filter(isRelease)) {
      const own = declaredNamespaces.get(release.inputs.namespace);
      if (own) expect(release.dependsOn).toContain(own);
      else expect(release.dependsOn.filter((x) => x.inputs?.kind === 'Namespace')).toEqual([]);
    }
    // The observability releases wait for their Namespace too, where the stack declares its own.
    const observability = declared.filter((r) => isRelease(r) && ['prometheus', 'grafana', 'jaeger', 'kiali'].includes(r.inputs.name));
    expect(observability.every((r) => r.dependsOn.some((x) => x.inputs?.kind === 'Namespace'))).toBe(
      env.observability.namespace !== 'istio-system',
    );
  });

  test('push mode retains every Kubernetes resource on delete: a change to gitops hands the running platform over to Flux', async () => {
    const declared = await declaredPush();
    const kubernetes = declared.filter((d) => isObject(d) || isRelease(d));
    expect(kubernetes.length).toBeGreaterThan(20);
    expect(kubernetes.filter((d) => !d.retainOnDelete).map((d) => `${d.type} ${d.name}`)).toEqual([]);
    expect(PUSH_RETAIN_ON_DELETE).toBe(true);
    // What gitops mode declares is what Flux needs and nothing else: the platform resources push mode
    // declared leave the program, and being retained, stay in the cluster for Flux to adopt.
    const gitopsDeclared = await declaredGitops();
    const kept = new Set(gitopsDeclared.filter(isObject).map((d) => objectKey(d.inputs as any)));
    expect(kubernetes.filter((d) => isObject(d) && kept.has(objectKey(d.inputs as any)))).toEqual([]);
    // Flux takes each release over under the same name and namespace (HelmRelease releaseName and storageNamespace).
    const fluxReleases = renderedGitops()
      .flatMap((c) => c.objects)
      .filter((o) => o.kind === 'HelmRelease')
      .map((o) => `${(o.spec as any).storageNamespace}/${(o.spec as any).releaseName}`)
      .sort();
    expect(
      declared
        .filter(isRelease)
        .map((r) => `${r.inputs.namespace}/${r.inputs.name}`)
        .sort(),
    ).toEqual(fluxReleases);
  });

  test('gitops mode retains nothing: Flux itself and its flux-system objects are removed with the stack', async () => {
    const declared = await declaredGitops();
    expect(declared.filter((d) => (isObject(d) || isRelease(d)) && d.retainOnDelete)).toEqual([]);
  });

  test('stack outputs: the ingress gateway Service and the observability endpoints', async () => {
    await declaredPush();
    const platform = pushPlatform!;
    expect(platform.ingressGateway?.service).toBe('istio-system/istio-ingressgateway');
    expect(platform.ingressGateway?.address).toBeDefined();
    expect(platform.endpoints).toMatchObject({
      grafana: expect.stringMatching(/^http:\/\/.*grafana/),
      kiali: expect.stringMatching(/kiali/),
    });
  });
});

describe('the program on any app of layer charts', () => {
  test('a custom resource waits for the CustomResourceDefinition of its layer or an earlier one', async () => {
    const app = Testing.app();
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: { group: 'example.com', names: { kind: 'Widget', plural: 'widgets' }, scope: 'Cluster', versions: [] },
    };
    const infrastructure = new LayerChart(app, 'widgets', { layer: Layer.INFRASTRUCTURE });
    new ApiObject(infrastructure, 'crd', crd);
    new ApiObject(infrastructure, 'a', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'a' } });
    const apps = new LayerChart(app, 'apps', { layer: Layer.APPS });
    new ApiObject(apps, 'b', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'b' } });
    const declared = await declareUnderMocks(() => declareApp(app, { delivery: 'push' }));
    const definition = objectNamed(declared, 'CustomResourceDefinition', 'widgets.example.com');
    expect(definition.dependsOn.filter((d) => d.inputs?.kind === 'CustomResourceDefinition')).toEqual([]);
    expect(objectNamed(declared, 'Widget', 'a').dependsOn).toContain(definition);
    expect(objectNamed(declared, 'Widget', 'b').dependsOn).toContain(definition);
    expect(objectNamed(declared, 'Widget', 'b').dependsOn.map((d) => d.name)).toContain(Layer.INFRASTRUCTURE);
  });
});

describe('Helm releases from the model', () => {
  test('each Pulumi Helm release is declared from its HelmComponent: chart, repository, version, values, namespace, timeout', async () => {
    const app = Testing.app();
    const platform = new LayerChart(app, 'platform', { layer: Layer.PLATFORM });
    const repository = { name: 'example', url: 'https://charts.example.com' };
    const base = new HelmComponent(platform, 'base', {
      repository,
      chart: 'base',
      version: '1.0.0',
      namespace: 'widgets',
      crds: HelmCrdPolicy.SKIP,
    });
    new HelmComponent(platform, 'widgets', {
      repository,
      chart: 'widgets',
      version: '2.1.0',
      namespace: 'widgets',
      values: { replicas: 2, unset: undefined },
      timeout: Duration.minutes(15),
      dependsOn: [base],
    });
    const declared = await declareUnderMocks(() => declareApp(app, { delivery: 'push' }));
    expect(releaseNamed(declared, 'base').inputs).toMatchObject({ chart: 'base', skipCrds: true, timeout: 600 });
    const widgets = releaseNamed(declared, 'widgets');
    expect(widgets.inputs).toMatchObject({
      chart: 'widgets',
      version: '2.1.0',
      namespace: 'widgets',
      repositoryOpts: { repo: 'https://charts.example.com' },
      skipCrds: false,
      timeout: 900,
    });
    expect(widgets.inputs.values).toEqual({ replicas: 2 });
    expect(widgets.dependsOn).toContain(releaseNamed(declared, 'base'));
  });
});

describe('delivery modes', () => {
  test('fails when delivery is gitops without a Git repository', () => {
    const env = loadEnvironmentFile(`${REPO_ROOT}/Pulumi.staging.yaml`);
    expect(() => declarePlatform({ ...env, delivery: 'gitops', gitops: undefined })).toThrow(
      'Pulumi.staging.yaml: mesh:delivery is gitops but mesh:gitops is not set, so Flux would have no repository to read; add mesh:gitops.url (ssh:// or https://) or set mesh:delivery: push',
    );
  });
});

describe('the stack configuration', () => {
  test('is read through Pulumi and validated by the same parser as the synth', async () => {
    const { stackEnvironment } = await import('../../../../stacks/engines/pulumi/stack-config');
    const file = loadEnvironmentFile(`${REPO_ROOT}/Pulumi.staging.yaml`);
    const raw = require('yaml').parse(require('fs').readFileSync(`${REPO_ROOT}/Pulumi.staging.yaml`, 'utf8')).config as Record<
      string,
      unknown
    >;
    const flat = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
    pulumi.runtime.setAllConfig(flat);
    const env = stackEnvironment();
    expect({ ...env, name: 'staging' }).toEqual(file);
  });

  test('fails with the key named when a value is wrong', async () => {
    const { stackEnvironment } = await import('../../../../stacks/engines/pulumi/stack-config');
    pulumi.runtime.setAllConfig({ 'mesh:tier': 'development', 'mesh:delivery': 'teleport' });
    expect(() => stackEnvironment()).toThrow(
      /Pulumi\.test\.yaml: mesh:delivery: string "teleport" is not allowed; expected one of push, gitops/,
    );
  });
});
