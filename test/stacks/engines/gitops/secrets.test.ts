import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { LayerChart, Layer } from '../../../../charts/layer';
import {
  AlertReceiver,
  KialiAuth,
  ObservabilityStack,
  OBSERVABILITY_CHARTS,
  requireSecret,
  SecretRequirement,
  secretCreateCommand,
  secretRequirements,
} from '../../../../constructs';
import { listEnvironmentFiles, loadEnvironmentFile, parseEnvironment } from '../../../../stacks/environments';
import { buildPlatform } from '../../../../stacks/composition/platform';
import { KubeObject, renderCharts } from '../../../../stacks/engines/render';
import { environmentSecrets, renderSecretsDoc, SECRETS_FILE } from '../../../../stacks/engines/gitops/secrets';
import { synthesize, synthesizeEnvironment } from '../../../../stacks/engines/gitops/synth';
import { minihelmBinary, renderWithMinihelm } from '../../../support/istio-chart-model';
import { REPO_ROOT } from '../../../support/shared-dir';

const GRAFANA = {
  name: 'grafana-admin',
  namespace: 'observability',
  keys: ['admin-user', 'admin-password'],
  purpose: "Grafana's admin login",
  whenMissing: 'Grafana does not start',
};
const envs = Object.fromEntries(listEnvironmentFiles(REPO_ROOT).map((f) => [path.basename(f).split('.')[1], loadEnvironmentFile(f)]));

describe('requireSecret: a construct declares a Secret it reads', () => {
  test('recorded on the construct, collected from the tree, sorted by namespace and name', () => {
    const chart = new Chart(Testing.app(), 'c');
    requireSecret(new Construct(chart, 'grafana'), GRAFANA);
    requireSecret(new Construct(chart, 'flux'), {
      name: 'flux-system',
      namespace: 'flux-system',
      keys: ['identity'],
      purpose: 'deploy key',
      whenMissing: 'no fetch',
    });
    expect(secretRequirements(chart).map((s) => [`${s.namespace}/${s.name}`, s.optional, s.declaredBy.map((c) => c.node.path)])).toEqual([
      ['flux-system/flux-system', false, ['c/flux']],
      ['observability/grafana-admin', false, ['c/grafana']],
    ]);
  });

  test('several readers of one Secret merge: keys add up, purposes join, optional only if every reader can do without', () => {
    const chart = new Chart(Testing.app(), 'c');
    requireSecret(new Construct(chart, 'grafana'), GRAFANA);
    requireSecret(new Construct(chart, 'kiali'), {
      ...GRAFANA,
      keys: ['admin-password', 'extra'],
      purpose: 'Kiali signs in',
      whenMissing: 'Kiali does not start',
      optional: true,
    });
    const [merged] = secretRequirements(chart);
    expect(merged).toMatchObject({
      keys: ['admin-user', 'admin-password', 'extra'],
      purpose: "Grafana's admin login; Kiali signs in",
      whenMissing: 'Grafana does not start; Kiali does not start',
      optional: false,
    });
    expect(merged.declaredBy).toHaveLength(2);
  });

  test("the create command: kubectl create secret generic with example values, or the construct's own", () => {
    expect(secretCreateCommand({ ...GRAFANA, exampleValues: { 'admin-user': 'admin' } })).toBe(
      'kubectl -n observability create secret generic grafana-admin --from-literal=admin-user=admin --from-literal=admin-password=REPLACE_ME',
    );
    expect(secretCreateCommand({ ...GRAFANA, createCommand: 'flux create secret git x' })).toBe('flux create secret git x');
    expect(secretCreateCommand({ ...GRAFANA, keys: [] })).toBe(
      'kubectl -n observability create secret generic grafana-admin --from-file=REPLACE_ME',
    );
  });
});

describe('requireSecret fails when', () => {
  const declare = (r: Partial<SecretRequirement>) => () =>
    requireSecret(new Construct(new Chart(Testing.app(), 'c'), 'reader'), { ...GRAFANA, ...r });
  test.each([
    [
      { name: 'Grafana_Admin' },
      "requireSecret c/reader: Secret observability/Grafana_Admin: name 'Grafana_Admin' is not a DNS-1123 label; use e.g. 'grafana-admin'",
    ],
    [
      { namespace: 'Obs' },
      "requireSecret c/reader: Secret Obs/grafana-admin: namespace 'Obs' is not a DNS-1123 label; use e.g. 'observability'",
    ],
    [
      { keys: ['admin user'] },
      "requireSecret c/reader: Secret observability/grafana-admin: key 'admin user' is not a Secret key; use letters, digits, '-', '_' or '.', e.g. 'admin-password'",
    ],
    [{ keys: ['a', 'a'] }, 'requireSecret c/reader: Secret observability/grafana-admin: lists a key twice (a, a); list each key once'],
    [
      { exampleValues: { password: 'x' } },
      "requireSecret c/reader: Secret observability/grafana-admin: has an example value for 'password', which is not one of its keys (admin-user, admin-password)",
    ],
    [
      { purpose: ' ' },
      'requireSecret c/reader: Secret observability/grafana-admin: has no purpose; say what reads it and for what, e.g. "Grafana\'s admin login"',
    ],
    [
      { whenMissing: '' },
      'requireSecret c/reader: Secret observability/grafana-admin: does not say what happens while it is missing; say what does not start or stays silent',
    ],
  ])('%j', (bad, message) => {
    expect(declare(bad)).toThrow(message);
  });
});

describe('ObservabilityStack declares the Secrets it reads', () => {
  const stack = (props: ConstructorParameters<typeof ObservabilityStack>[2] = {}) => {
    const chart = new Chart(Testing.app(), 'c');
    return { chart, stack: new ObservabilityStack(chart, 'observability', props) };
  };

  test('grafana-admin, required, read by Grafana and Kiali; nothing else without a receiver or OpenID', () => {
    const { chart } = stack();
    expect(
      secretRequirements(chart).map((s) => ({
        name: s.name,
        namespace: s.namespace,
        keys: s.keys,
        optional: s.optional,
        readers: s.declaredBy.map((c) => c.node.id),
      })),
    ).toEqual([
      {
        name: 'grafana-admin',
        namespace: 'observability',
        keys: ['admin-user', 'admin-password'],
        optional: false,
        readers: ['grafana', 'kiali'],
      },
    ]);
  });

  test('the chat webhook is optional, and so is its volume: Alertmanager starts without the Secret', () => {
    const { chart, stack: s } = stack({
      alerting: { receiver: AlertReceiver.slack({ webhookSecret: { name: 'alertmanager-webhook', key: 'url' }, channel: '#mesh' }) },
    });
    expect(secretRequirements(chart).find((x) => x.name === 'alertmanager-webhook')).toMatchObject({
      namespace: 'observability',
      keys: ['url'],
      optional: true,
    });
    expect((s.prometheus.values as any).alertmanager.extraSecretMounts).toEqual([
      {
        name: 'alert-webhook',
        secretName: 'alertmanager-webhook',
        mountPath: '/etc/alertmanager/secrets/alertmanager-webhook',
        readOnly: true,
        optional: true,
      },
    ]);
  });

  test("Kiali's OpenID client secret, when Kiali logs in with OpenID", () => {
    const { chart } = stack({ kiali: { auth: KialiAuth.openId({ issuerUri: 'https://login.example.com', clientId: 'kiali' }) } });
    expect(secretRequirements(chart).find((x) => x.name === 'kiali')).toMatchObject({
      namespace: 'observability',
      keys: ['oidc-secret'],
      optional: false,
    });
  });
});

/** Every Secret the rendered objects reference, as `<namespace>/<name>` (what a cluster would look up). */
function referencedSecrets(objects: readonly KubeObject[]): string[] {
  const found = new Set<string>();
  const created = new Set(
    objects.filter((o) => o.kind === 'Certificate').map((o) => `${o.metadata.namespace}/${(o as any).spec.secretName}`),
  );
  for (const o of objects as any[]) {
    const ns = o.kind === 'HelmRelease' ? o.spec.targetNamespace : o.metadata.namespace;
    if (o.spec?.secretRef?.name && o.kind !== 'HelmRelease') found.add(`${ns}/${o.spec.secretRef.name}`);
    if (o.kind === 'Gateway') for (const s of o.spec.servers) if (s.tls?.credentialName) found.add(`${ns}/${s.tls.credentialName}`);
    for (const v of o.spec?.template?.spec?.volumes ?? []) if (v.secret) found.add(`${ns}/${v.secret.secretName}`);
    if (o.kind === 'HelmRelease') {
      const text = JSON.stringify(o.spec.values ?? {});
      for (const m of text.matchAll(/"existingSecret":"([^"]+)"/g)) found.add(`${ns}/${m[1]}`);
      for (const m of text.matchAll(/"secretName":"([^"]+)"/g)) found.add(`${ns}/${m[1]}`);
      for (const m of text.matchAll(/"secret:([^:"]+):[^"]+"/g)) found.add(`${ns}/${m[1]}`);
    }
  }
  return [...found].filter((s) => !created.has(s)).sort();
}

describe('each environment states the Secrets it needs', () => {
  test.each(Object.keys(envs))('%s: every Secret its objects reference is declared (name, namespace, keys, purpose, layer)', (name) => {
    const app = buildPlatform(envs[name]);
    const declared = environmentSecrets(app);
    expect(referencedSecrets(renderCharts(app).flatMap((c) => c.objects))).toEqual(declared.map((s) => `${s.namespace}/${s.name}`).sort());
    for (const s of declared) {
      // Only an app that mounts a whole Secret leaves its keys to itself.
      if (s.keys.length === 0) expect(s.purpose).toMatch(/^mounted into /);
      expect(s.purpose).not.toBe('');
      expect(Object.values(Layer)).toContain(s.layer);
    }
  });

  test('prod: grafana-admin (required) and alertmanager-webhook (optional) in observability, read from the platform layer; the deploy key and the Flux webhook in flux-system', () => {
    const secrets = environmentSecrets(buildPlatform(envs.prod)).map((s) => ({
      secret: `${s.namespace}/${s.name}`,
      keys: s.keys,
      layer: s.layer,
      optional: s.optional,
    }));
    expect(secrets).toEqual([
      { secret: 'flux-system/flux-system', keys: ['identity', 'identity.pub', 'known_hosts'], layer: 'flux-system', optional: false },
      { secret: 'flux-system/slack-webhook', keys: ['address'], layer: 'flux-system', optional: true },
      { secret: 'observability/alertmanager-webhook', keys: ['url'], layer: 'platform', optional: true },
      { secret: 'observability/grafana-admin', keys: ['admin-user', 'admin-password'], layer: 'platform', optional: false },
    ]);
  });

  test('canary alerts (Flagger AlertProvider) add an optional Secret in istio-system', () => {
    const app = buildPlatform(
      parseEnvironment('staging', { 'mesh:canary': { alerts: { channel: 'slack', secretName: 'flagger-slack' } } }, 'Pulumi.staging.yaml'),
    );
    expect(environmentSecrets(app).find((s) => s.name === 'flagger-slack')).toMatchObject({
      namespace: 'istio-system',
      keys: ['address'],
      optional: true,
      layer: 'platform-configs',
    });
  });

  test('a certificate from a Secret (not cert-manager) is declared in the gateway namespace with tls.crt and tls.key', () => {
    const chart = new LayerChart(Testing.app(), 'ingress', { layer: Layer.MESH });
    const { GatewayCertificate, MeshGateway } = require('../../../../constructs');
    new MeshGateway(chart, 'gw', {
      name: 'public-gateway',
      namespace: 'istio-system',
      hosts: ['*'],
      https: { hosts: ['mesh.example.com'], certificate: GatewayCertificate.fromSecret('mesh-tls') },
    });
    expect(environmentSecrets(chart)).toMatchObject([
      {
        name: 'mesh-tls',
        namespace: 'istio-system',
        keys: ['tls.crt', 'tls.key'],
        optional: false,
        layer: 'mesh',
        createCommand: 'kubectl -n istio-system create secret tls mesh-tls --cert=fullchain.pem --key=privkey.pem',
      },
    ]);
  });

  test('SECRETS.md: a table row per Secret and the commands that create them, namespaces first', () => {
    const doc = renderSecretsDoc('prod', environmentSecrets(buildPlatform(envs.prod)));
    expect(doc).toContain(
      "| `observability/grafana-admin` | `admin-user`, `admin-password` | `platform` | **required** | Grafana's admin login; the credentials Kiali signs in to Grafana with |",
    );
    expect(doc).toContain('| `observability/alertmanager-webhook` | `url` | `platform` | optional |');
    const commands = /```sh\n([\s\S]*?)```/.exec(doc)![1].trim().split('\n');
    expect(commands[0]).toBe('kubectl create namespace observability');
    expect(commands).toContain(
      'kubectl -n observability create secret generic grafana-admin --from-literal=admin-user=admin --from-literal=admin-password="$(openssl rand -base64 24)"',
    );
    expect(commands).toContain(
      'flux create secret git flux-system --url=ssh://git@github.com/example-org/mesh-platform.git --namespace=flux-system',
    );
    expect(renderSecretsDoc('x', [])).toContain('This environment reads no Secret.');
  });

  test.each(Object.keys(envs))('%s: SECRETS.md is written beside the layers, in no kustomization.yaml', (name) => {
    const { files } = synthesizeEnvironment(envs[name]);
    expect(files.get(SECRETS_FILE)).toMatch(new RegExp(`^# Secrets of the \`${name}\` environment`));
    for (const [file, text] of files) if (file.endsWith('kustomization.yaml')) expect(text).not.toContain(SECRETS_FILE);
    expect([...files.keys()].filter((f) => !f.includes('/'))).toEqual([SECRETS_FILE]);
  });

  test('npm run synth writes dist/<env>/SECRETS.md', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-secrets-'));
    try {
      synthesize({ configDir: REPO_ROOT, outdir, environments: ['prod'] });
      expect(fs.readFileSync(path.join(outdir, 'prod', SECRETS_FILE), 'utf8')).toContain('observability/grafana-admin');
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});

const minihelm = minihelmBinary();
(minihelm ? describe : describe.skip)('an optional integration never blocks a layer (rendered by minihelm)', () => {
  test("prod's Alertmanager mounts the chat webhook Secret as an optional volume, so the pod starts without it", () => {
    const release = renderCharts(buildPlatform(envs.prod))
      .flatMap((c) => c.objects)
      .find((o) => o.kind === 'HelmRelease' && o.metadata.name === 'prometheus') as any;
    const { chart, version } = OBSERVABILITY_CHARTS.prometheus;
    const objects = renderWithMinihelm(minihelm!, chart, version, 'prometheus', 'observability', release.spec.values) as any[];
    const alertmanager = objects.find((o) => o.kind === 'StatefulSet' && /alertmanager/.test(o.metadata.name));
    expect(alertmanager.spec.template.spec.volumes).toContainEqual({
      name: 'alert-webhook',
      secret: { secretName: 'alertmanager-webhook', optional: true },
    });
  });
});

describe('MeshApp declares the Secrets it mounts', () => {
  test("dev's sleep mounts sleep-secret, optional, as a whole", () => {
    expect(environmentSecrets(buildPlatform(envs.dev)).find((s) => s.name === 'sleep-secret')).toMatchObject({
      namespace: 'demo',
      keys: [],
      optional: true,
      layer: 'apps',
      purpose: 'mounted into demo/sleep at /etc/sleep/tls',
      whenMissing: 'sleep starts without it (the volume is optional)',
    });
    expect(renderSecretsDoc('dev', environmentSecrets(buildPlatform(envs.dev)))).toContain(
      '| `demo/sleep-secret` | all (mounted whole) | `apps` | optional |',
    );
  });
});
