import { PRODUCTION_REQUIRED } from '../../support/production';
import { Chart, Duration, Testing } from 'cdk8s';
import { FluxSystemChart, Layer, layersWithObjects } from '../../../charts';
import {
  ChatService,
  FluxGitSource,
  FluxEventSeverity,
  FluxKustomization,
  FluxNotifications,
  formatGoDuration,
  parseGoDuration,
} from '../../../constructs';
import { parseEnvironment } from '../../../stacks/environments';
import { buildPlatform } from '../../../stacks/composition/platform';
import { renderCharts } from '../../../stacks/engines/render';
import { configProblems } from '../../support/config-problems';
import { DEMO_OPT_IN } from '../../support/demo-opt-in';

const gitops = { url: 'ssh://git@github.com/acme/mesh.git', secretRef: 'flux-system' };

function fluxChart(props: Partial<ConstructorParameters<typeof FluxSystemChart>[2]> = {}) {
  return new FluxSystemChart(Testing.app(), 'flux-system', {
    url: gitops.url,
    secretName: 'flux-system',
    path: './dist/prod',
    layers: [Layer.INFRASTRUCTURE, Layer.MESH, Layer.APPS],
    ...props,
  });
}

describe('FluxSystemChart', () => {
  test('a GitRepository over SSH with a deploy key Secret reference, syncing every 5 minutes (scenario S1)', () => {
    const objects = Testing.synth(fluxChart());
    expect(objects[0]).toEqual({
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      metadata: { name: 'mesh-platform', namespace: 'flux-system' },
      spec: { url: 'ssh://git@github.com/acme/mesh.git', ref: { branch: 'main' }, interval: '5m', secretRef: { name: 'flux-system' } },
    });
  });

  test('one Kustomization per layer with objects, each depending on the previous one, waiting and pruning', () => {
    const objects = Testing.synth(fluxChart()).filter((o) => o.kind === 'Kustomization');
    expect(objects.map((o) => o.metadata.name)).toEqual(['infrastructure', 'mesh', 'apps']);
    expect(objects[0].spec).toEqual({
      sourceRef: { kind: 'GitRepository', name: 'mesh-platform', namespace: 'flux-system' },
      path: './dist/prod/infrastructure',
      interval: '5m',
      retryInterval: '1m',
      timeout: '10m',
      prune: true,
      wait: true,
    });
    expect(objects[1].spec).toMatchObject({ path: './dist/prod/mesh', dependsOn: [{ name: 'infrastructure' }] });
    // The platform layer has no objects here, so apps depends on mesh directly.
    expect(objects[2].spec).toMatchObject({ path: './dist/prod/apps', dependsOn: [{ name: 'mesh' }] });
  });

  test('every layer in apply order (controllers before their configs), each waiting for the health of the one before', () => {
    const objects = Testing.synth(
      fluxChart({ layers: [Layer.APPS, Layer.PLATFORM_CONFIGS, Layer.PLATFORM, Layer.MESH, Layer.INFRASTRUCTURE, Layer.FLUX_SYSTEM] }),
    ).filter((o) => o.kind === 'Kustomization');
    expect(
      objects.map((o) => [o.metadata.name, o.spec.dependsOn?.map((d: { name: string }) => d.name) ?? [], o.spec.wait, o.spec.path]),
    ).toEqual([
      ['infrastructure', [], true, './dist/prod/infrastructure'],
      ['mesh', ['infrastructure'], true, './dist/prod/mesh'],
      ['platform', ['mesh'], true, './dist/prod/platform'],
      ['platform-configs', ['platform'], true, './dist/prod/platform-configs'],
      ['apps', ['platform-configs'], true, './dist/prod/apps'],
    ]);
  });

  test('intervals and timeout are configurable', () => {
    const objects = Testing.synth(fluxChart({ interval: Duration.minutes(1), timeout: Duration.minutes(15), branch: 'release' }));
    expect(objects[0].spec).toMatchObject({ interval: '1m', ref: { branch: 'release' } });
    expect(objects[1].spec).toMatchObject({ interval: '1m', timeout: '15m' });
  });

  test('notifications: a Slack Provider with the webhook Secret reference and an Alert on the Git source, Kustomizations and HelmReleases', () => {
    const objects = Testing.synth(
      fluxChart({
        notifications: {
          type: ChatService.SLACK,
          webhookSecretName: 'slack-webhook',
          channel: 'platform',
          severity: FluxEventSeverity.ERROR,
        },
      }),
    );
    expect(objects.find((o) => o.kind === 'Provider')).toEqual({
      apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
      kind: 'Provider',
      metadata: { name: 'flux-system-slack', namespace: 'flux-system' },
      spec: { type: 'slack', secretRef: { name: 'slack-webhook' }, channel: 'platform' },
    });
    expect(objects.find((o) => o.kind === 'Alert').spec).toEqual({
      providerRef: { name: 'flux-system-slack' },
      eventSeverity: 'error',
      eventSources: [
        { kind: 'GitRepository', name: '*', namespace: 'flux-system' },
        { kind: 'Kustomization', name: '*', namespace: 'flux-system' },
        { kind: 'HelmRelease', name: '*', namespace: 'flux-system' },
      ],
    });
  });

  test('Teams notifications', () => {
    const c = new Chart(Testing.app(), 'test');
    new FluxNotifications(c, 'teams', { type: ChatService.TEAMS, webhookSecretName: 'teams-webhook' });
    expect(Testing.synth(c)[0].spec).toEqual({ type: 'msteams', secretRef: { name: 'teams-webhook' } });
  });

  test('fails when the git URL is not ssh:// or https://', () => {
    expect(() => fluxChart({ url: 'git@github.com:acme/mesh.git' })).toThrow(
      "FluxGitSource flux-system/mesh-platform: git URL 'git@github.com:acme/mesh.git' is not an ssh:// or https:// URL; write it as ssh://git@github.com/acme/mesh.git",
    );
    expect(() => fluxChart({ url: 'http://github.com/acme/mesh.git' })).toThrow(
      /git URL 'http:\/\/github.com\/acme\/mesh.git' is not an ssh:\/\/ or https:\/\/ URL/,
    );
  });

  test('fails when an SSH repository has no deploy key Secret', () => {
    const c = new Chart(Testing.app(), 'test');
    expect(() => new FluxGitSource(c, 'src', { url: gitops.url })).toThrow(
      /git URL 'ssh:\/\/git@github.com\/acme\/mesh.git' uses SSH but no secretName is given; create the deploy key Secret with 'flux create secret git'/,
    );
  });

  test('fails when the interval is too short', () => {
    expect(() => fluxChart({ interval: Duration.seconds(5) })).toThrow(
      'FluxGitSource flux-system/mesh-platform: interval 5s is too short or not whole seconds; use at least 30s, such as 5m',
    );
  });

  test('fails when the path is not relative to the repository root', () => {
    expect(() => fluxChart({ path: '/dist/prod' })).toThrow(
      "FluxSystemChart flux-system: path '/dist/prod' must be relative to the repository root and start with './'",
    );
  });

  test('fails when a Kustomization path leaves the repository', () => {
    const c = new Chart(Testing.app(), 'test');
    const source = new FluxGitSource(c, 'src', { url: 'https://github.com/acme/mesh.git' });
    expect(() => new FluxKustomization(c, 'apps', { source, path: './dist/../../etc' })).toThrow(
      "FluxKustomization test/apps: path './dist/../../etc' is not a folder inside the repository; use e.g. './dist/prod/mesh'",
    );
  });

  test('fails when a Kustomization timeout is too short for health checks', () => {
    const c = new Chart(Testing.app(), 'test');
    const source = new FluxGitSource(c, 'src', { url: 'https://github.com/acme/mesh.git' });
    expect(() => new FluxKustomization(c, 'apps', { source, path: './dist/prod/apps', timeout: Duration.seconds(10) })).toThrow(
      'FluxKustomization test/apps: timeout 10s is too short for health checks; use at least 30s, such as 10m',
    );
  });

  test('fails when the webhook Secret name is not a DNS label', () => {
    const c = new Chart(Testing.app(), 'test');
    expect(() => new FluxNotifications(c, 'slack', { type: ChatService.SLACK, webhookSecretName: 'https://hooks.slack.com/x' })).toThrow(
      "FluxNotifications test/slack: webhookSecretName 'https://hooks.slack.com/x' is not a DNS-1123 label; name the Secret holding the webhook URL under 'address'",
    );
  });

  test('fails when the Teams provider is given a channel', () => {
    const c = new Chart(Testing.app(), 'test');
    expect(
      () => new FluxNotifications(c, 'teams', { type: ChatService.TEAMS, webhookSecretName: 'teams-webhook', channel: 'ops' }),
    ).toThrow(/channel 'ops' only applies to Slack/);
  });
});

describe('Go durations', () => {
  test.each([
    ['5m', '5m'],
    ['90s', '1m30s'],
    ['1h30m', '1h30m'],
    ['1.5h', '1h30m'],
    ['500ms', '500ms'],
  ])('%s reads as %s', (text, formatted) => {
    expect(formatGoDuration(parseGoDuration(text)!)).toBe(formatted);
  });

  test('rejects what is not a Go duration', () => {
    expect(parseGoDuration('5 minutes')).toBeUndefined();
    expect(parseGoDuration('5')).toBeUndefined();
  });
});

describe('the platform of each environment', () => {
  /** Production starts from what its file must set (TLS, the repository); the other tiers from nothing. */
  const env = (name: string, values: Record<string, unknown> = {}) =>
    parseEnvironment(name, name === 'prod' ? { ...PRODUCTION_REQUIRED, ...values } : values, `Pulumi.${name}.yaml`);

  test('flux-system is built last, from the layers that have objects, at ./dist/<env>', () => {
    const app = buildPlatform(
      env('prod', {
        'mesh:gitops': gitops,
        'mesh:ingress': {
          tls: {
            hosts: ['mesh.example.com'],
            redirectHttp: false,
            serveHttp: false,
            issuer: { type: 'acme', email: 'ops@example.com' },
            certManagerReplicas: 2,
          },
        },
      }),
    );
    const charts = app.node.children;
    expect(charts[charts.length - 1].node.id).toBe('flux-system');
    const flux = renderCharts(app).find((c) => c.id === 'flux-system')!;
    const kustomizations = flux.objects.filter((o) => o.kind === 'Kustomization');
    expect(kustomizations.map((k) => [k.metadata.name, (k as any).spec.path])).toEqual(
      layersWithObjects(app)
        .filter((l) => l !== Layer.FLUX_SYSTEM)
        .map((l) => [l, `./dist/prod/${l}`]),
    );
    // Production deploys no demo app by default (mesh:demo.apps), so it has no apps layer to reconcile.
    // Flagger's shared latency template is a Flagger custom resource: platform-configs, after Flagger's layer.
    expect(kustomizations.map((k) => k.metadata.name)).toEqual(['infrastructure', 'mesh', 'platform', 'platform-configs']);
    const withDemos = renderCharts(buildPlatform(env('prod', { ...DEMO_OPT_IN, 'mesh:gitops': gitops }))).find(
      (c) => c.id === 'flux-system',
    )!;
    expect(withDemos.objects.filter((o) => o.kind === 'Kustomization').map((k) => k.metadata.name)).toEqual([
      'infrastructure',
      'mesh',
      'platform',
      'platform-configs',
      'apps',
    ]);
  });

  test('no mesh:gitops, no flux-system layer', () => {
    const app = buildPlatform(env('dev'));
    expect(app.node.tryFindChild('flux-system')).toBeUndefined();
  });

  test('dev is small and permissive, prod highly available and REGISTRY_ONLY through the egress gateway', () => {
    const releases = (name: string, values: Record<string, unknown> = {}) =>
      Object.fromEntries(
        renderCharts(buildPlatform(env(name, values)))
          .flatMap((c) => c.objects)
          .filter((o) => o.kind === 'HelmRelease')
          .map((o) => [o.metadata.name, (o as any).spec.values]),
      );
    const dev = releases('dev');
    expect(dev.istiod).toMatchObject({
      pilot: { replicaCount: 1, autoscaleEnabled: false },
      meshConfig: { accessLogFile: '/dev/stdout', outboundTrafficPolicy: { mode: 'ALLOW_ANY' } },
    });
    expect(dev['istio-egressgateway']).toBeUndefined();
    const prod = releases('prod');
    expect(prod.istiod).toMatchObject({
      global: { defaultPodDisruptionBudget: { enabled: true } },
      pilot: { autoscaleEnabled: true, autoscaleMin: 2, cni: { enabled: true } },
      meshConfig: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } },
    });
    expect(Object.keys(prod)).toContain('istio-cni');
    expect(prod['istio-ingressgateway']).toMatchObject({
      autoscaling: { enabled: true, minReplicas: 3 },
      podDisruptionBudget: { minAvailable: 1 },
    });
    expect(prod['istio-egressgateway']).toMatchObject({ labels: { istio: 'egressgateway' } });
    // httpbin.org, which the demo's sleep calls, is production's external service once the demos are opted in.
    const prodObjects = renderCharts(buildPlatform(env('prod', DEMO_OPT_IN))).flatMap((c) => c.objects);
    expect(prodObjects.filter((o) => o.kind === 'VirtualService' && o.metadata.name.endsWith('-through-egress-gateway'))).toHaveLength(1);
  });

  test('mesh:istio.install.profile openshift reaches every Istio chart as its platform value (no Istio profile)', () => {
    const objects = renderCharts(buildPlatform(env('dev', { 'mesh:istio': { install: { profile: 'openshift', cni: true } } }))).flatMap(
      (c) => c.objects,
    );
    const platforms = objects
      .filter((o) => o.kind === 'HelmRelease' && (o as any).spec.chart.spec.sourceRef.name === 'istio')
      .map((o) => [
        o.metadata.name,
        (o as any).spec.values.global?.platform ?? (o as any).spec.values.platform,
        (o as any).spec.values.profile,
      ]);
    expect(platforms).toEqual([
      ['istio-base', 'openshift', undefined],
      ['istio-cni', 'openshift', undefined],
      ['istiod', 'openshift', undefined],
      ['istio-ingressgateway', 'openshift', undefined],
    ]);
  });

  test('fails when a config gateway host is not a DNS name', () => {
    expect(() => buildPlatform(env('dev', { 'mesh:ingress': { hosts: ['https://shop.example.com'] } }))).toThrow(
      /MeshGateway ingress\/public-gateway: hosts: 'https:\/\/shop.example.com' is not a DNS name or wildcard/,
    );
  });

  test('fails when the config git URL or interval is malformed', () => {
    const problems = (values: Record<string, unknown>) => configProblems(() => env('dev', values)).join('\n');
    expect(problems({ 'mesh:gitops': { url: 'git@github.com:acme/mesh.git' } })).toMatch(
      /Pulumi.dev.yaml: mesh:gitops.url: must be an ssh:\/\/ or https:\/\/ URL/,
    );
    expect(problems({ 'mesh:gitops': { ...gitops, interval: '5 minutes' } })).toMatch(
      /Pulumi.dev.yaml: mesh:gitops.interval: must be a duration such as 30s, 5m or 1h, got string "5 minutes"/,
    );
  });

  test('fails when production istiod has no PodDisruptionBudget', () => {
    expect(() => buildPlatform(env('prod', { 'mesh:istio': { install: { istiod: { podDisruptionBudget: false } } } }))).toThrow(
      /IstioControlPlaneChart istio-control-plane: istiod must be highly available in production .*got autoscaling 2-5, no PodDisruptionBudget/,
    );
  });
});

test('goDuration converts a validated Go duration and fails loudly on anything else', () => {
  const { goDuration } = require('../../../constructs');
  expect(goDuration('1h30m').toSeconds()).toBe(5400);
  expect(() => goDuration('5 minutes')).toThrow("'5 minutes' is not a Go duration such as 30s, 5m or 1h30m");
});
