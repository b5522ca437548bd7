import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configProblems } from '../../support/config-problems';
import { PRODUCTION_REQUIRED } from '../../support/production';
import { loadEnvironmentFile, parseEnvironment } from '../../../stacks/environments';
import { hasUrlCredentials, quoteValue } from '../../../stacks/environments/rules';

const dev = (values: Record<string, unknown>) => configProblems(() => parseEnvironment('dev', values, 'Pulumi.dev.yaml'));

describe('reserved and platform namespaces (issue 14 item 1)', () => {
  test.each(['istio-system', 'kube-system', 'kube-public', 'kube-node-lease', 'kube-anything', 'flux-system', 'cert-manager', 'test'])(
    'mesh:demo.namespace %s is refused, naming the key, the value and the fix',
    (ns) => {
      const problems = dev({ 'mesh:demo': { namespace: ns } });
      expect(problems).toEqual([
        expect.stringMatching(new RegExp(`^Pulumi.dev.yaml: mesh:demo.namespace: "${ns}" is a namespace .*choose a namespace of your own`)),
      ]);
    },
  );

  test('every key that defines a namespace is checked: observability, the weighted split, bookinfo', () => {
    expect(dev({ 'mesh:observability': { namespace: 'istio-system' } })).toEqual([
      expect.stringMatching(/^Pulumi.dev.yaml: mesh:observability.namespace: "istio-system"/),
    ]);
    expect(dev({ 'mesh:canary': { weightedSplit: { namespace: 'kube-system' } } })).toEqual([
      expect.stringMatching(/^Pulumi.dev.yaml: mesh:canary.weightedSplit.namespace: "kube-system"/),
    ]);
    expect(dev({ 'mesh:canary': { bookinfo: { namespace: 'flux-system' } } })).toEqual([
      expect.stringMatching(/^Pulumi.dev.yaml: mesh:canary.bookinfo.namespace: "flux-system"/),
    ]);
  });

  test("the observability namespace is the platform's: only mesh:observability.namespace may name it", () => {
    expect(dev({ 'mesh:demo': { namespace: 'observability' } })).toEqual([
      expect.stringMatching(
        /^Pulumi.dev.yaml: mesh:demo.namespace: "observability" is the observability namespace \(mesh:observability.namespace\)/,
      ),
    ]);
    expect(
      parseEnvironment('dev', { 'mesh:observability': { namespace: 'monitoring' }, 'mesh:demo': { namespace: 'observability' } }, 'x').demo
        .namespace,
    ).toBe('observability');
  });

  test("identities of mesh:security refer to istio-system (the ingress gateway's) and stay allowed", () => {
    expect(parseEnvironment('dev', {}, 'Pulumi.dev.yaml').security.ingressGateway.namespace).toBe('istio-system');
  });
});

describe('credentials in URLs (issue 14 item 2)', () => {
  test.each([
    ['https://user:token@github.com/acme/mesh.git', true],
    ['https://token@github.com/acme/mesh.git', true],
    ['ssh://git:secret@github.com/acme/mesh.git', true],
    ['ssh://git@github.com/acme/mesh.git', false],
    ['https://github.com/acme/mesh.git?ref=a@b', false],
    ['https://github.com/acme/@mesh', false],
  ])('%s: credentials %s', (url, expected) => expect(hasUrlCredentials(url)).toBe(expected));

  test('mesh:gitops.url with user:token@ is refused, without repeating the token', () => {
    const problems = dev({ 'mesh:gitops': { url: 'https://user:s3cr3t@github.com/acme/mesh.git' } });
    expect(problems).toEqual([
      expect.stringMatching(
        /^Pulumi.dev.yaml: mesh:gitops.url: "https:\/\/<credentials>@github.com\/acme\/mesh.git" holds credentials.*mesh:gitops.secretRef/,
      ),
    ]);
    expect(problems.join('\n')).not.toContain('s3cr3t');
  });

  test("Kiali's OpenID issuer URL and the browser URLs are checked too", () => {
    expect(
      dev({
        'mesh:observability': {
          kiali: { auth: 'openid', openId: { issuerUri: 'https://admin:pass@sso.example.com/realms/mesh', clientId: 'kiali' } },
        },
      }),
    ).toEqual([expect.stringMatching(/^Pulumi.dev.yaml: mesh:observability.kiali.openId.issuerUri: .* holds credentials in the URL/)]);
    expect(dev({ 'mesh:observability': { grafana: { externalUrl: 'https://a:b@grafana.example.com' } } })).toEqual([
      expect.stringMatching(/^Pulumi.dev.yaml: mesh:observability.grafana.externalUrl: /),
    ]);
  });
});

describe('production rules (issue 14 item 3)', () => {
  const prod = (values: Record<string, unknown>) => configProblems(() => parseEnvironment('prod', values, 'Pulumi.prod.yaml'));

  test('an empty Pulumi.prod.yaml fails, naming mesh:ingress.tls and mesh:gitops (nothing is dropped silently)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-prod-'));
    fs.writeFileSync(path.join(dir, 'Pulumi.prod.yaml'), 'config: {}\n');
    const problems = configProblems(() => loadEnvironmentFile(path.join(dir, 'Pulumi.prod.yaml')));
    expect(problems).toEqual([
      expect.stringMatching(/^Pulumi.prod.yaml: mesh:ingress.tls: production requires HTTPS on the public gateway \(and so cert-manager\)/),
      expect.stringMatching(
        /^Pulumi.prod.yaml: mesh:gitops: production is delivered by Flux .* so the Flux layer would be dropped; set mesh:gitops: /,
      ),
    ]);
  });

  test('with what no preset can know, production parses', () => {
    expect(parseEnvironment('prod', { ...PRODUCTION_REQUIRED }, 'Pulumi.prod.yaml').ingress.tls?.hosts).toEqual(['mesh.example.com']);
  });

  test('ALLOW_ANY egress, PERMISSIVE mTLS, no default deny and no NetworkPolicies are refused, each on its own line', () => {
    expect(
      prod({
        ...PRODUCTION_REQUIRED,
        'mesh:istio': { mtls: 'PERMISSIVE', install: { outboundTrafficPolicy: 'ALLOW_ANY' } },
        'mesh:security': { defaultDeny: false, networkPolicies: false },
      }),
    ).toEqual([
      expect.stringMatching(
        /^Pulumi.prod.yaml: mesh:istio.install.outboundTrafficPolicy: "ALLOW_ANY" is not allowed in production.*REGISTRY_ONLY/,
      ),
      expect.stringMatching(/^Pulumi.prod.yaml: mesh:istio.mtls: "PERMISSIVE" is not allowed in production/),
      expect.stringMatching(/^Pulumi.prod.yaml: mesh:security.defaultDeny: false is not allowed in production/),
      expect.stringMatching(
        /^Pulumi.prod.yaml: mesh:security.networkPolicies: false is not allowed in production.*set mesh:security.networkPolicies: true$/,
      ),
    ]);
  });

  test('a gateway that answers plain HTTP without a redirect is refused (serveHttp must be false)', () => {
    const tls = { ...PRODUCTION_REQUIRED['mesh:ingress'].tls, serveHttp: true };
    expect(prod({ ...PRODUCTION_REQUIRED, 'mesh:ingress': { tls } })).toEqual([
      expect.stringMatching(
        /^Pulumi.prod.yaml: mesh:ingress.tls.serveHttp: true is not allowed in production .*set mesh:ingress.tls.serveHttp: false/,
      ),
    ]);
    const { serveHttp: _omitted, ...withoutKey } = tls;
    expect(prod({ ...PRODUCTION_REQUIRED, 'mesh:ingress': { tls: withoutKey } })).toHaveLength(1);
  });

  test('push delivery needs no repository', () => {
    expect(
      parseEnvironment('prod', { 'mesh:delivery': 'push', 'mesh:ingress': PRODUCTION_REQUIRED['mesh:ingress'] }, 'x').gitops,
    ).toBeUndefined();
  });

  test('staging keeps its own rules (no TLS needed)', () => {
    expect(parseEnvironment('staging', {}, 'Pulumi.staging.yaml').ingress.tls).toBeUndefined();
  });
});

describe('messages quote long values cut (issue 14 item 6)', () => {
  test('at most 80 characters and the length', () => {
    expect(quoteValue('x'.repeat(200))).toBe(`"${'x'.repeat(80)}"… (200 chars)`);
    expect(quoteValue('short')).toBe('"short"');
  });
});

describe('hostile files (issue 14 items 5 and 6)', () => {
  function file(text: string | Buffer, env = 'dev'): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-hostile-'));
    const f = path.join(dir, `Pulumi.${env}.yaml`);
    fs.writeFileSync(f, text);
    return f;
  }

  test('a file above 1 MiB is refused before parsing, with its size and the limit', () => {
    const f = file(`config:\n  mesh:demo:\n${'    # padding\n'.repeat(90000)}`);
    const started = Date.now();
    expect(configProblems(() => loadEnvironmentFile(f))).toEqual([
      expect.stringMatching(/^Pulumi.dev.yaml: the file is \d+ bytes, above the limit of 1048576 bytes \(1 MiB\)/),
    ]);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test('many keys below the limit parse in linear time (the parser took minutes on 40k keys)', () => {
    const keys = Array.from({ length: 40000 }, (_, i) => `    k${i}: v\n`).join('');
    const f = file(`config:\n  mesh:demo:\n${keys}`);
    const started = Date.now();
    const problems = configProblems(() => loadEnvironmentFile(f));
    expect(Date.now() - started).toBeLessThan(15000);
    expect(problems[0]).toMatch(/^Pulumi.dev.yaml: mesh:demo.k0: unknown key/);
  });

  test('duplicate keys are still an error, naming file and line', () => {
    expect(configProblems(() => loadEnvironmentFile(file('config:\n  mesh:tier: development\n  mesh:tier: production\n')))).toEqual([
      'Pulumi.dev.yaml:3: key "mesh:tier" appears twice in one mapping; keep one',
    ]);
  });

  test('alias bombs and undefined aliases name the file', () => {
    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      laughs.push(
        `${'abcdefghij'[i]}: &${'abcdefghij'[i]} [${Array(9)
          .fill(`*${'abcdefghij'[i - 1]}`)
          .join(', ')}]`,
      );
    const bomb = configProblems(() => loadEnvironmentFile(file(`${laughs.join('\n')}\nconfig: {}\n`)));
    expect(bomb).toEqual([expect.stringMatching(/^Pulumi.dev.yaml: invalid YAML: .*alias/i)]);
    expect(configProblems(() => loadEnvironmentFile(file('config:\n  mesh:tier: *nothing\n')))).toEqual([
      expect.stringMatching(/^Pulumi.dev.yaml(:\d+:\d+)?: invalid YAML: .*nothing/),
    ]);
  });

  test('mesh:__proto__ and __proto__ at any depth are refused, not silently switching the tier', () => {
    const top = configProblems(() => loadEnvironmentFile(file('config:\n  mesh:__proto__: {tier: production}\n')));
    expect(top).toEqual([expect.stringMatching(/^Pulumi.dev.yaml: mesh:__proto__: "__proto__" is not a configuration key/)]);
    const nested = configProblems(() => loadEnvironmentFile(file('config:\n  mesh:istio:\n    __proto__: {mtls: STRICT}\n')));
    expect(nested).toEqual([expect.stringMatching(/^Pulumi.dev.yaml: mesh:istio.__proto__: /)]);
    expect(configProblems(() => parseEnvironment('dev', { 'mesh:demo': { constructor: 1 } }, 'Pulumi.dev.yaml'))).toHaveLength(1);
  });

  test('a huge bad value is quoted cut, with its length', () => {
    const [p] = configProblems(() => parseEnvironment('dev', { 'mesh:istio': { mtls: 'A'.repeat(219000) } }, 'Pulumi.dev.yaml'));
    expect(p.length).toBeLessThan(400);
    expect(p).toContain('… (219000 chars)');
  });
});

describe("Kubernetes' own rules for names and labels (issue 14 item 4)", () => {
  test.each(['d\u00e9mo', 'a\u0000b', 'x'.repeat(64), '-a', 'a b'])('a pod label value %j is refused, naming the key', (value) => {
    const problems = dev({
      'mesh:security': {
        ingressGateway: { namespace: 'istio-system', serviceAccount: 'istio-ingressgateway', podLabels: { istio: value } },
      },
    });
    expect(problems).toEqual([
      expect.stringMatching(/^Pulumi.dev.yaml: mesh:security.ingressGateway.podLabels.istio: must be a label value/),
    ]);
  });

  test('a branch name is a Git branch name of bounded length', () => {
    expect(dev({ 'mesh:gitops': { url: 'ssh://git@github.com/acme/mesh.git', branch: 'b'.repeat(50_000) } })).toEqual([
      expect.stringMatching(/^Pulumi.dev.yaml: mesh:gitops.branch: must be a Git branch name of at most 255 characters.*\(50000 chars\)$/),
    ]);
    expect(
      parseEnvironment('dev', { 'mesh:gitops': { url: 'ssh://git@github.com/acme/mesh.git', branch: 'release/1.2' } }, 'x').gitops?.branch,
    ).toBe('release/1.2');
  });
});
