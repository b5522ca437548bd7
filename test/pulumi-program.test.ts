import * as pulumi from '@pulumi/pulumi';
import { LAYERS, Layer } from '../charts';
import { parseGoDuration } from '../constructs';
import { EnvironmentConfig, listEnvironmentFiles, loadEnvironmentFile } from '../stacks/config';
import { buildPlatform } from '../stacks/platform';
import { chartsDeclaredBy, declarePlatform, LAYER_TYPE } from '../stacks/pulumi/program';
import { objectKey, renderCharts } from '../stacks/render';

pulumi.runtime.setMocks({ newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }), call: (args) => args.inputs }, 'mesh', 'test', false);

interface Declared {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  readonly dependsOn: readonly Declared[];
  readonly parent?: Declared;
  /** A read of an existing object (`Resource.get`), not a declaration. */
  readonly read: boolean;
}

/** Runs the Pulumi program under the official mocks and records what it declares, with dependencies. */
async function declare(config: EnvironmentConfig): Promise<Declared[]> {
  const declared: Declared[] = [];
  const byResource = new Map<pulumi.Resource, Declared>();
  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((args) => {
      const deps = ([] as pulumi.Resource[]).concat((args.opts.dependsOn as pulumi.Resource[] | undefined) ?? []);
      const entry: Declared = {
        type: args.type,
        name: args.name,
        inputs: args.props as Record<string, any>,
        dependsOn: deps.map((d) => byResource.get(d)!),
        parent: args.opts.parent ? byResource.get(args.opts.parent) : undefined,
        read: (args.opts as pulumi.CustomResourceOptions).id !== undefined,
      };
      byResource.set(args.resource, entry);
      declared.push(entry);
      return undefined;
    });
    declarePlatform(config);
    return {};
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  return declared;
}

const environments = listEnvironmentFiles(`${__dirname}/..`).map(loadEnvironmentFile);
const isObject = (d: Declared) => !d.read && d.type.startsWith('kubernetes:') && d.type !== 'kubernetes:yaml:ConfigGroup' && d.type !== 'kubernetes:helm.sh/v3:Release';
const layerOf = (d: Declared): Declared | undefined => (d.type === LAYER_TYPE ? d : d.parent && layerOf(d.parent));

describe.each(environments.map((e) => [e.name, e] as const))('Pulumi program, %s', (_name, env) => {
  const push: EnvironmentConfig = { ...env, delivery: 'push' };
  const gitops: EnvironmentConfig = { ...env, delivery: 'gitops' };

  test('push mode declares every synthesized object and nothing else (parity)', async () => {
    const declared = await declare(push);
    const charts = chartsDeclaredBy(renderCharts(buildPlatform(push)), 'push');
    const plain = charts.flatMap((c) => c.objects).filter((o) => o.kind !== 'HelmRelease' && o.kind !== 'HelmRepository');
    const expected = plain.map((o) => `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}|${o.metadata.name}`).sort();
    const actual = declared.filter(isObject).map((d) => `${d.inputs.apiVersion}|${d.inputs.kind}|${d.inputs.metadata.namespace ?? ''}|${d.inputs.metadata.name}`).sort();
    expect(actual).toEqual(expected);

    // Documented difference: each Flux HelmRelease is one Pulumi Helm release with the same chart, version and values.
    const fluxReleases = charts.flatMap((c) => c.objects).filter((o) => o.kind === 'HelmRelease');
    const pulumiReleases = declared.filter((d) => d.type === 'kubernetes:helm.sh/v3:Release');
    expect(pulumiReleases.map((r) => r.inputs.name).sort()).toEqual(fluxReleases.map((o) => (o.spec as any).releaseName).sort());
    for (const release of fluxReleases) {
      const spec = release.spec as any;
      const match = pulumiReleases.find((r) => r.inputs.name === spec.releaseName)!;
      expect(match.inputs).toMatchObject({ chart: expect.stringContaining(spec.chart.spec.chart), version: spec.chart.spec.version, namespace: spec.targetNamespace, values: spec.values ?? {} });
      expect(match.inputs.timeout).toBe(parseGoDuration(spec.timeout)!.toSeconds());
      const url = (charts.flatMap((c) => c.objects).find((o) => o.kind === 'HelmRepository' && o.metadata.name === spec.chart.spec.sourceRef.name)!.spec as any).url;
      if (url.startsWith('oci://')) expect(match.inputs.chart).toBe(`${url}/${spec.chart.spec.chart}`);
      else expect(match.inputs.repositoryOpts).toEqual({ repo: url });
    }
  });

  test('push mode leaves out the flux-system layer', async () => {
    const declared = await declare(push);
    const layers = declared.filter((d) => d.type === LAYER_TYPE).map((d) => d.name);
    expect(layers).not.toContain(Layer.FLUX_SYSTEM);
    expect(layers).toEqual(LAYERS.filter((l) => layers.includes(l)));
  });

  test('every object and release depends on every layer before its own', async () => {
    const declared = await declare(push);
    const layers = declared.filter((d) => d.type === LAYER_TYPE);
    expect(layers.length).toBeGreaterThan(1);
    for (const d of declared.filter((x) => isObject(x) || x.type === 'kubernetes:helm.sh/v3:Release')) {
      const own = layerOf(d)!;
      const earlier = layers.slice(0, layers.indexOf(own));
      expect(d.dependsOn.filter((x) => x.type === LAYER_TYPE).map((x) => x.name).sort()).toEqual(earlier.map((l) => l.name).sort());
    }
  });

  test('gitops mode installs Flux and declares only the flux-system layer', async () => {
    const declared = await declare(gitops);
    const releases = declared.filter((d) => d.type === 'kubernetes:helm.sh/v3:Release');
    expect(releases.map((r) => r.inputs.name)).toEqual(['flux']);
    const expected = chartsDeclaredBy(renderCharts(buildPlatform(gitops)), 'gitops').flatMap((c) => c.objects).map(objectKey).sort();
    const actual = declared.filter(isObject).map((d) => objectKey(d.inputs as any)).sort();
    expect(actual).toEqual(expected);
    expect(actual).toEqual(expect.arrayContaining([expect.stringMatching(/GitRepository flux-system\//), expect.stringMatching(/Kustomization flux-system\/platform$/)]));
    for (const d of declared.filter(isObject)) expect(d.dependsOn.map((x) => x.name)).toContain('flux-install');
  });

  test('Helm releases keep the dependencies between them (Flux dependsOn becomes Pulumi dependsOn)', async () => {
    const declared = await declare(push);
    const charts = renderCharts(buildPlatform(push));
    const fluxReleases = charts.flatMap((c) => c.objects).filter((o) => o.kind === 'HelmRelease');
    const withDeps = fluxReleases.filter((o) => ((o.spec as any).dependsOn ?? []).length > 0);
    expect(withDeps.length).toBeGreaterThan(0);
    for (const o of withDeps) {
      const release = declared.find((d) => d.type === 'kubernetes:helm.sh/v3:Release' && d.inputs.name === (o.spec as any).releaseName)!;
      for (const dep of (o.spec as any).dependsOn) expect(release.dependsOn.map((x) => x.name)).toContain(dep.name);
    }
  });

  test('stack outputs: the ingress gateway Service and the observability endpoints', () => {
    let platform: ReturnType<typeof declarePlatform> | undefined;
    return pulumi.runtime.runInPulumiStack(async () => {
      platform = declarePlatform(push);
      return {};
    }).then(() => {
      expect(platform!.ingressGateway?.service).toBe('istio-system/istio-ingressgateway');
      expect(platform!.ingressGateway?.address).toBeDefined();
      expect(platform!.endpoints).toMatchObject({ grafana: expect.stringMatching(/^http:\/\/.*grafana/), kiali: expect.stringMatching(/kiali/) });
    });
  });
});

describe('delivery modes', () => {
  test('fails when delivery is gitops without a Git repository', () => {
    const env = loadEnvironmentFile(`${__dirname}/../Pulumi.staging.yaml`);
    expect(() => declarePlatform({ ...env, delivery: 'gitops', gitops: undefined })).toThrow(
      'Pulumi.staging.yaml: mesh:delivery is gitops but mesh:gitops is not set, so Flux would have no repository to read; add mesh:gitops.url (ssh:// or https://) or set mesh:delivery: push',
    );
  });
});

describe('the stack configuration', () => {
  test('is read through Pulumi and validated by the same parser as the synth', async () => {
    const { stackEnvironment } = await import('../stacks/pulumi/stack-config');
    const file = loadEnvironmentFile(`${__dirname}/../Pulumi.staging.yaml`);
    const raw = require('yaml').parse(require('fs').readFileSync(`${__dirname}/../Pulumi.staging.yaml`, 'utf8')).config as Record<string, unknown>;
    const flat = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
    pulumi.runtime.setAllConfig(flat);
    const env = stackEnvironment();
    expect({ ...env, name: 'staging' }).toEqual(file);
  });

  test('fails with the key named when a value is wrong', async () => {
    const { stackEnvironment } = await import('../stacks/pulumi/stack-config');
    pulumi.runtime.setAllConfig({ 'mesh:tier': 'development', 'mesh:delivery': 'teleport' });
    expect(() => stackEnvironment()).toThrow(/Pulumi\.test\.yaml: mesh:delivery: string "teleport" is not allowed; expected one of push, gitops/);
  });
});
