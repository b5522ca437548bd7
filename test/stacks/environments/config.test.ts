import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configProblems } from '../../support/config-problems';
import { listEnvironmentFiles, loadEnvironmentFile, parseEnvironment, presets } from '../../../stacks/environments';
import { REPO_ROOT } from '../../support/shared-dir';

const root = REPO_ROOT;

/** Writes a Pulumi.<env>.yaml with `text` into a fresh folder and loads it. */
function load(text: string, env = 'dev'): ReturnType<typeof loadEnvironmentFile> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-config-'));
  const file = path.join(dir, `Pulumi.${env}.yaml`);
  fs.writeFileSync(file, text);
  return loadEnvironmentFile(file);
}

const problems = configProblems;

describe('the environment files of the repository', () => {
  test('dev, staging and prod exist and load', () => {
    const envs = listEnvironmentFiles(root).map(loadEnvironmentFile);
    expect(envs.map((e) => e.name)).toEqual(['dev', 'prod', 'staging']);
  });

  test('the environments really differ: replicas, resources, mTLS, sampling', () => {
    const [dev, prod, staging] = listEnvironmentFiles(root).map(loadEnvironmentFile);
    expect(dev.istio.mtls).toBe('PERMISSIVE');
    expect(staging.istio.mtls).toBe('STRICT');
    expect(prod.istio.mtls).toBe('STRICT');
    expect(dev.workloads.replicas).toBeLessThan(prod.workloads.replicas);
    expect(dev.istio.tracingSampling).toBeGreaterThan(prod.istio.tracingSampling);
    expect(prod.workloads.resources.limits).not.toEqual(dev.workloads.resources.limits);
  });
});

describe('parseEnvironment', () => {
  test('an empty file takes every value from the tier preset', () => {
    const env = load('config: {}\n', 'staging');
    expect(env).toMatchObject({ name: 'staging', ...presets.staging });
  });

  test('values from the file override the preset key by key', () => {
    const env = load('config:\n  mesh:workloads:\n    replicas: 5\n');
    expect(env.workloads.replicas).toBe(5);
    expect(env.workloads.resources).toEqual(presets.development.workloads.resources);
  });

  test('the tier of a custom environment name comes from mesh:tier', () => {
    const env = load(
      'config:\n  mesh:tier: production\n  mesh:gitops: { url: ssh://git@github.com/acme/mesh.git }\n  mesh:ingress: { tls: { hosts: [eu.example.com], redirectHttp: false, serveHttp: false, issuer: { type: acme, email: ops@example.com }, certManagerReplicas: 2 } }\n',
      'prod-eu',
    );
    expect(env.name).toBe('prod-eu');
    expect(env.istio.mtls).toBe('STRICT');
  });

  test('keys of Pulumi and its providers are allowed and not ours', () => {
    const env = load('config:\n  kubernetes:context: kind-dev\n  pulumi:tags: {a: b}\n');
    expect(env.tier).toBe('development');
  });

  test('numbers Pulumi hands over as text are parsed the same (mesh:workloads as JSON)', () => {
    const env = parseEnvironment('dev', { 'mesh:workloads': { replicas: 2 } }, 'stack');
    expect(env.workloads.replicas).toBe(2);
  });
});

describe('configuration errors name the file, the key, the value and what is allowed', () => {
  test('fails when the YAML is malformed, with line and column', () => {
    const [p] = problems(() => load('config:\n  mesh:workloads: {replicas: 2\n'));
    expect(p).toMatch(/^Pulumi\.dev\.yaml:\d+:\d+: invalid YAML/);
  });

  test('fails when a key is unknown, suggesting the closest one', () => {
    const [p] = problems(() => load('config:\n  mesh:workloads:\n    replica: 2\n'));
    expect(p).toBe(
      `Pulumi.dev.yaml: mesh:workloads.replica: unknown key; did you mean 'replicas'? (allowed: replicas, resources, podDisruptionBudget)`,
    );
  });

  test('fails when a top-level config key is unknown', () => {
    const [p] = problems(() => load('config:\n  mesh:workload: {}\n'));
    expect(p).toMatch(/^Pulumi\.dev\.yaml: mesh:workload: unknown key; did you mean 'workloads'\?/);
  });

  test('fails when a value has the wrong type', () => {
    const [p] = problems(() => load('config:\n  mesh:workloads:\n    replicas: two\n'));
    expect(p).toBe('Pulumi.dev.yaml: mesh:workloads.replicas: expected number, got string "two"');
  });

  test('fails when a value is not one of the allowed ones', () => {
    const [p] = problems(() => load('config:\n  mesh:istio:\n    mtls: STRIKT\n'));
    expect(p).toBe('Pulumi.dev.yaml: mesh:istio.mtls: string "STRIKT" is not allowed; expected one of STRICT, PERMISSIVE');
  });

  test('fails when a number is out of range', () => {
    const [p] = problems(() => load('config:\n  mesh:istio:\n    tracingSampling: 150\n'));
    expect(p).toMatch(/^Pulumi\.dev\.yaml: mesh:istio\.tracingSampling: .*100.*, got number 150$/);
  });

  test('fails when a quantity is malformed', () => {
    const [p] = problems(() =>
      load('config:\n  mesh:workloads:\n    resources:\n      requests: {cpu: 1x, memory: 64Mi}\n      limits: {cpu: 1, memory: 64Mi}\n'),
    );
    expect(p).toBe(
      'Pulumi.dev.yaml: mesh:workloads.resources.requests.cpu: CPU "1x" is not a Kubernetes quantity; write a number with an optional unit, such as 250m, 0.5, 128Mi or 1Gi',
    );
  });

  test('fails when requests exceed limits', () => {
    const [p] = problems(() =>
      load('config:\n  mesh:workloads:\n    resources:\n      requests: {cpu: 2, memory: 64Mi}\n      limits: {cpu: 500m, memory: 64Mi}\n'),
    );
    expect(p).toBe('Pulumi.dev.yaml: mesh:workloads.resources: CPU request 2 exceeds its limit 500m; raise the limit or lower the request');
  });

  test('fails when a key is outside the mesh namespace', () => {
    const [p] = problems(() => load('config:\n  workloads: {}\n'));
    expect(p).toMatch(/key "workloads" is not a configuration key of this project; write it as mesh:workloads/);
  });

  test('fails when a custom environment name has no tier', () => {
    const [p] = problems(() => load('config: {}\n', 'qa'));
    expect(p).toMatch(/mesh:tier is required for environment "qa".*development, staging, production/);
  });

  test('fails when the file has a top-level key besides config', () => {
    const [p] = problems(() => load('conifg: {}\n'));
    expect(p).toMatch(/top-level key "conifg" is not part of a Pulumi stack file/);
  });

  test('fails when the environment name is not a DNS label', () => {
    const [p] = problems(() => load('config:\n  mesh:tier: staging\n', 'Stage_1'));
    expect(p).toMatch(/environment name "Stage_1" must be a DNS-1123 label/);
  });

  test('reports every problem at once, one line each', () => {
    const found = problems(() => load('config:\n  mesh:workloads:\n    replicas: 0\n    pdb: true\n'));
    expect(found).toHaveLength(2);
  });
});

describe('section rules: each problem names the file, the key path, the value and the fix', () => {
  const parse = (values: Record<string, unknown>, env = 'dev') => problems(() => parseEnvironment(env, values, 'Pulumi.dev.yaml'));

  test.each<[string, Record<string, unknown>, string]>([
    [
      'the weighted split weights do not add up to 100',
      { 'mesh:canary': { weightedSplit: { weights: { v1: 80, v2: 10 } } } },
      'mesh:canary.weightedSplit.weights: weights.v1 + weights.v2 must add up to 100, got 80 + 10 = 90',
    ],
    [
      'an egress service name is not a DNS label',
      { 'mesh:egress': { services: [{ name: 'GitHub', hosts: ['api.github.com'], ports: [{ port: 443, protocol: 'TLS' }] }] } },
      'mesh:egress.services.0.name: must be a DNS-1123 label such as github-api, got string "GitHub"',
    ],
    [
      'an egress service name is listed twice',
      {
        'mesh:egress': {
          services: [
            { name: 'gh', hosts: ['api.github.com'], ports: [{ port: 443, protocol: 'TLS' }] },
            { name: 'gh', hosts: ['github.com'], ports: [{ port: 443, protocol: 'TLS' }] },
          ],
        },
      },
      'mesh:egress.services.1.name: service name "gh" is listed twice; give each service its own name',
    ],
    [
      "istiod's autoscaling has maxReplicas below minReplicas",
      { 'mesh:istio': { install: { istiod: { autoscaling: { minReplicas: 3, maxReplicas: 2, cpuUtilization: 80 } } } } },
      'mesh:istio.install.istiod.autoscaling.maxReplicas: maxReplicas 2 is below minReplicas 3; raise maxReplicas to at least 3 or lower minReplicas',
    ],
    [
      'the observability namespace is not a DNS label',
      { 'mesh:observability': { namespace: 'Obs' } },
      'mesh:observability.namespace: must be a DNS-1123 label such as observability, got string "Obs"',
    ],
    [
      "Prometheus' retention is below one TSDB block",
      { 'mesh:observability': { prometheus: { retention: '1h' } } },
      'mesh:observability.prometheus.retention: must be at least 2h (one TSDB block), got string "1h"',
    ],
    [
      'the alert channel is not a channel',
      { 'mesh:observability': { alerts: { channel: 'Mesh Alerts!' } } },
      'mesh:observability.alerts.channel: must be a channel such as #mesh-alerts, got string "Mesh Alerts!"',
    ],
    [
      'the webhook Secret key is not a Secret key',
      { 'mesh:observability': { alerts: { webhookSecretKey: 'web hook' } } },
      'mesh:observability.alerts.webhookSecretKey: must be a Secret key such as webhook-url, got string "web hook"',
    ],
    [
      'mesh:tier is not a tier',
      { 'mesh:tier': 'prod' },
      'mesh:tier: "prod" is not allowed; expected one of development, staging, production',
    ],
  ])('fails when %s', (_, values, message) => {
    expect(parse(values)).toContainEqual(`Pulumi.dev.yaml: ${message}`);
  });

  test('fails when the file is not named Pulumi.<env>.yaml, is not a mapping, or its config is not one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-config-'));
    const other = path.join(dir, 'dev.yaml');
    fs.writeFileSync(other, 'config: {}\n');
    expect(problems(() => loadEnvironmentFile(other))).toEqual([
      expect.stringMatching(/: an environment file must be named Pulumi\.<env>\.yaml$/),
    ]);
    expect(problems(() => load('- config\n'))).toEqual([`Pulumi.dev.yaml: expected a mapping with a 'config:' key, got a list ["config"]`]);
    expect(problems(() => load('config: [a]\n'))).toEqual([
      `Pulumi.dev.yaml: 'config' must be a mapping of keys to values, got a list ["a"]`,
    ]);
  });
});

test('an unknown key inside an optional section is named with the allowed ones', () => {
  const [p] = problems(() => load('config:\n  mesh:gitops:\n    url: ssh://git@example.com/a/b.git\n    brnach: main\n'));
  expect(p).toMatch(/^Pulumi\.dev\.yaml: mesh:gitops\.brnach: unknown key; did you mean 'branch'\? \(allowed: url, branch, /);
});
