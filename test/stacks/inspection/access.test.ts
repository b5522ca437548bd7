import * as path from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { HeaderMatch, MeshApp, Peer, ZeroTrustPolicy } from '../../../constructs';
import {
  AccessError,
  AccessExplainer,
  AccessRequest,
  RBAC_DENIED,
  accessMatrix,
  allowedEdges,
  formatMatrix,
  matrixRequest,
  normalizePath,
} from '../../../stacks/inspection/access';
import { accessCheck } from '../../../stacks/cli/access';
import { loadEnvironmentFile } from '../../../stacks/environments';
import { buildPlatform } from '../../../stacks/composition/platform';
import { KubeObject, renderCharts } from '../../../stacks/engines/render';
import { REPO_ROOT } from '../../support/shared-dir';

const ROOT = REPO_ROOT;
const HTTPBIN = { namespace: 'demo', labels: { app: 'httpbin', version: 'v1' }, port: 8080 };
const SLEEP = { namespace: 'demo', serviceAccount: 'sleep' };
const OTHER = { namespace: 'other', serviceAccount: 'sleep' };

/** Scenario S5's setup: httpbin and sleep in demo, governed by a ZeroTrustPolicy; `secure` adds the step's rule. */
function s5(secure?: (policy: ZeroTrustPolicy, apps: { httpbin: MeshApp; sleep: MeshApp }) => void): AccessExplainer {
  const chart = new Chart(Testing.app(), 's5', { namespace: 'demo' });
  const httpbin = new MeshApp(chart, 'httpbin', { image: 'go-httpbin:v2', ports: [{ port: 8000, targetPort: 8080 }] });
  const sleep = new MeshApp(chart, 'sleep', { image: 'curl:8', ports: [{ port: 80 }] });
  const policy = new ZeroTrustPolicy(chart, 'zero-trust', { apps: [httpbin, sleep] });
  secure?.(policy, { httpbin, sleep });
  return new AccessExplainer(Testing.synth(chart) as KubeObject[]);
}

const request = (r: Partial<AccessRequest> = {}): AccessRequest => ({
  source: SLEEP,
  destination: HTTPBIN,
  method: 'GET',
  path: '/ip',
  ...r,
});

describe('scenario S5 through the access explainer', () => {
  test('1. an ALLOW policy with no rules on httpbin denies every request: RBAC: access denied', () => {
    const explainer = s5();
    for (const r of [request(), request({ path: '/get' }), request({ source: OTHER, method: 'POST' }), request({ source: undefined })]) {
      expect(explainer.check(r)).toMatchObject({
        verdict: 'deny',
        allowed: false,
        decidedBy: 'AuthorizationPolicy demo/httpbin',
        message: RBAC_DENIED,
      });
    }
  });

  test('2. sleep of demo allowed by principal, any workload of demo by namespace; another namespace denied', () => {
    const explainer = s5((policy, { httpbin, sleep }) => {
      sleep.calls(httpbin);
      policy.allow([sleep, Peer.namespace('demo')], httpbin);
    });
    expect(explainer.check(request())).toMatchObject({ allowed: true, decidedBy: 'AuthorizationPolicy demo/httpbin' });
    expect(explainer.check(request({ source: { namespace: 'demo', serviceAccount: 'tools' } }))).toMatchObject({ allowed: true });
    expect(explainer.check(request({ source: OTHER }))).toMatchObject({ allowed: false, message: 'RBAC: access denied' });
  });

  test('3. only GET /get: /get allowed, /ip denied, POST /get denied', () => {
    const explainer = s5((policy, { httpbin, sleep }) => {
      sleep.calls(httpbin);
      policy
        .allow([sleep, Peer.namespace('demo')], httpbin)
        .onMethods('GET')
        .onPaths('/get');
    });
    expect(explainer.check(request({ path: '/get' })).allowed).toBe(true);
    expect(explainer.check(request({ path: '/get?show_env=1' })).allowed).toBe(true);
    expect(explainer.check(request({ path: '/ip' }))).toMatchObject({ allowed: false, message: RBAC_DENIED });
    expect(explainer.check(request({ path: '/get', method: 'POST' })).allowed).toBe(false);
  });

  test('4. header x-rfma-token must match test*: with test1 allowed, without it (or another value) denied', () => {
    const explainer = s5((policy, { httpbin, sleep }) => {
      sleep.calls(httpbin);
      policy
        .allow([sleep, Peer.namespace('demo')], httpbin)
        .onMethods('GET')
        .onPaths('/get')
        .whenHeader('x-rfma-token', HeaderMatch.prefix('test'));
    });
    expect(explainer.check(request({ path: '/get', headers: { 'x-rfma-token': 'test1' } }))).toMatchObject({
      allowed: true,
      decidedBy: 'AuthorizationPolicy demo/httpbin',
    });
    expect(explainer.check(request({ path: '/get', headers: { 'X-RFMA-Token': 'test1' } })).allowed).toBe(true);
    expect(explainer.check(request({ path: '/get' }))).toMatchObject({ allowed: false, message: RBAC_DENIED });
    expect(explainer.check(request({ path: '/get', headers: { 'x-rfma-token': 'prod1' } })).allowed).toBe(false);
    expect(explainer.check(request({ path: '/ip', headers: { 'x-rfma-token': 'test1' } })).allowed).toBe(false);
  });
});

describe('the access matrix', () => {
  const platform = buildPlatform(loadEnvironmentFile(path.join(ROOT, 'Pulumi.dev.yaml')));
  const meshApps = platform.node.findAll().filter((c): c is MeshApp => c instanceof MeshApp);
  const objects = renderCharts(platform).flatMap((c) => c.objects);
  const key = (a: { namespace: string }, name: string) => `${a.namespace}/${name}`;

  test('of dev equals the declared dependency graph exactly: no edge more, no edge less', () => {
    const declared = [...new Set(meshApps.flatMap((a) => a.dependencies.map((d) => `${key(a, a.name)} -> ${key(d, d.name)}`)))].sort();
    expect(declared).toEqual(
      expect.arrayContaining([
        'demo/sleep -> demo/httpbin',
        'bookinfo/productpage -> bookinfo/reviews',
        'bookinfo/reviews -> bookinfo/ratings',
      ]),
    );
    const cells = accessMatrix(objects);
    // The matrix (read from the synthesized Deployments) covers exactly the apps of the environment.
    expect([...new Set(cells.map((c) => key(c.from, c.from.app)))].sort()).toEqual(
      [...new Set(meshApps.map((a) => key(a, a.name)))].sort(),
    );
    expect(allowedEdges(cells)).toEqual(declared);
  });

  test('of dev holds for the primary pods Flagger creates for a canaried app (app=<name>-primary) too', () => {
    const canaried = meshApps.filter((a) => a.routingController).map((a) => key(a, a.name));
    expect(canaried).toEqual(expect.arrayContaining(['demo/httpbin', 'bookinfo/reviews']));
    const explainer = new AccessExplainer(objects);
    for (const cell of accessMatrix(objects).filter((c) => canaried.includes(key(c.to, c.to.app)))) {
      const primary = { ...cell.to, labels: { ...cell.to.labels, app: `${cell.to.app}-primary` } };
      const decision = explainer.check(matrixRequest(cell.from, primary));
      expect({ from: key(cell.from, cell.from.app), to: primary.labels.app, allowed: decision.allowed }).toEqual({
        from: key(cell.from, cell.from.app),
        to: primary.labels.app,
        allowed: cell.decision.allowed,
      });
    }
  });

  test('is printed as a table of callers x destinations', () => {
    const table = formatMatrix(accessMatrix(objects));
    expect(table.split('\n')[0]).toMatch(/^from \\ to\s+.*demo\/httpbin/);
    expect(table).toMatch(/demo\/sleep\s+.*allow/);
  });

  test('access check explains one request of an environment', () => {
    const allowed = accessCheck(objects, { from: 'demo/sleep', to: 'demo/httpbin', method: 'get', path: '/ip', header: [] });
    expect(allowed.decision.allowed).toBe(true);
    expect(allowed.text).toMatch(/^ALLOW: demo\/sleep -> demo\/httpbin GET \/ip\n {2}decided by: AuthorizationPolicy demo\/httpbin/);
    const denied = accessCheck(objects, { from: 'demo/httpbin', to: 'demo/sleep', method: 'GET', path: '/', header: ['x-a=1'] });
    expect(denied.text).toMatch(/^DENY: .*\n.*\n.*\n {2}response: {3}403 RBAC: access denied/);
    expect(() => accessCheck(objects, { to: 'demo/nope', method: 'GET', path: '/', header: [] })).toThrow(
      /no app 'demo\/nope' in this environment; apps: .*demo\/httpbin/,
    );
  });

  test('access check: a caller without a sidecar calls in plain text (no principal), as the matrix does', () => {
    const deployment = (name: string, labels: Record<string, string>): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'demo' },
      spec: {
        template: {
          metadata: { labels: { app: name, ...labels } },
          spec: { serviceAccountName: name, containers: [{ ports: [{ containerPort: 8080 }] }] },
        },
      },
    });
    const world = [
      deployment('httpbin', {}),
      deployment('legacy', { 'sidecar.istio.io/inject': 'false' }),
      ap('demo', 'httpbin', { selector: { matchLabels: { app: 'httpbin' } }, rules: [{ from: [{ source: { namespaces: ['demo'] } }] }] }),
    ];
    const plain = accessCheck(world, { from: 'demo/legacy', to: 'demo/httpbin', method: 'GET', path: '/', header: [] });
    expect(plain.decision).toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy demo/httpbin' });
    expect(plain.text).toMatch(/^DENY: demo\/legacy \(no sidecar: plain text\) -> demo\/httpbin/);
    expect(
      accessCheck([...world, deployment('sleep', {})], { from: 'demo/sleep', to: 'demo/httpbin', method: 'GET', path: '/', header: [] })
        .decision.allowed,
    ).toBe(true);
  });
});

/** A policy as rendered objects. */
const ap = (namespace: string, name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'AuthorizationPolicy',
  metadata: { name, namespace },
  spec,
});
const pa = (namespace: string, name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'PeerAuthentication',
  metadata: { name, namespace },
  spec,
});
const check = (objects: KubeObject[], r: Partial<AccessRequest> = {}) => new AccessExplainer(objects).check(request(r));

describe("the explainer follows Istio's authorization semantics", () => {
  test('no policy at all: allowed', () => {
    const decision = check([]);
    expect(decision).toMatchObject({ verdict: 'allow', allowed: true, reason: expect.stringMatching(/no ALLOW policy selects/) });
    expect(decision.decidedBy).toBeUndefined();
  });

  test('namespace-wide spec {} denies all; in the root namespace it denies the whole mesh; elsewhere nothing', () => {
    expect(check([ap('demo', 'deny-all', {})])).toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy demo/deny-all' });
    expect(check([ap('istio-system', 'deny-all', {})])).toMatchObject({
      allowed: false,
      decidedBy: 'AuthorizationPolicy istio-system/deny-all',
    });
    expect(check([ap('other', 'deny-all', {})]).allowed).toBe(true);
  });

  test('selectors: a policy for other labels does not apply; a root-namespace selector applies in every namespace', () => {
    expect(check([ap('demo', 'p', { selector: { matchLabels: { app: 'sleep' } } })]).allowed).toBe(true);
    expect(check([ap('istio-system', 'p', { selector: { matchLabels: { app: 'httpbin' } } })]).allowed).toBe(false);
  });

  test('a rule {} allows everything; an ALLOW-all loses against a matching DENY; DENY with no rules matches nothing', () => {
    expect(check([ap('demo', 'all', { rules: [{}] })]).allowed).toBe(true);
    const deny = ap('demo', 'no-ip', { action: 'DENY', rules: [{ to: [{ operation: { paths: ['/ip'] } }] }] });
    expect(check([ap('demo', 'all', { rules: [{}] }), deny])).toMatchObject({
      allowed: false,
      decidedBy: 'AuthorizationPolicy demo/no-ip',
      message: RBAC_DENIED,
    });
    expect(check([ap('demo', 'empty-deny', { action: 'DENY' })]).allowed).toBe(true);
  });

  test('CUSTOM first: a match hands the request to the external authorizer, but a DENY still denies', () => {
    const custom = ap('demo', 'ext', { action: 'CUSTOM', provider: { name: 'opa' }, rules: [{ to: [{ operation: { paths: ['/ip'] } }] }] });
    expect(check([custom])).toMatchObject({
      verdict: 'external',
      allowed: false,
      decidedBy: 'AuthorizationPolicy demo/ext',
      reason: expect.stringMatching(/'opa'/),
    });
    expect(check([custom], { path: '/get' }).verdict).toBe('allow');
    expect(check([custom, ap('demo', 'd', { action: 'DENY', rules: [{}] })]).verdict).toBe('deny');
  });

  test('AUDIT policies do not decide', () => {
    expect(check([ap('demo', 'audit', { action: 'AUDIT', rules: [{}] })]).allowed).toBe(true);
  });

  test('exact, prefix, suffix and presence matches on principals, paths, hosts and headers', () => {
    const allow = (rule: Record<string, unknown>) => [ap('demo', 'p', { rules: [rule] })];
    expect(check(allow({ from: [{ source: { principals: ['cluster.local/ns/demo/*'] } }] })).allowed).toBe(true);
    expect(check(allow({ from: [{ source: { principals: ['*/sa/sleep'] } }] })).allowed).toBe(true);
    expect(check(allow({ from: [{ source: { principals: ['*'] } }] }), { source: undefined }).allowed).toBe(false);
    expect(check(allow({ to: [{ operation: { paths: ['*.png'] } }] }), { path: '/a/b.png' }).allowed).toBe(true);
    expect(check(allow({ to: [{ operation: { paths: ['/api/{*}/items'] } }] }), { path: '/api/x/items' }).allowed).toBe(true);
    expect(check(allow({ to: [{ operation: { hosts: ['HTTPBIN.demo*'] } }] }), { host: 'httpbin.demo:8000' }).allowed).toBe(true);
    expect(check(allow({ when: [{ key: 'request.headers[x-a]', values: ['*'] }] }), { headers: { 'x-a': 'v' } }).allowed).toBe(true);
    expect(check(allow({ when: [{ key: 'request.headers[x-a]', values: ['*'] }] })).allowed).toBe(false);
    expect(check(allow({ when: [{ key: 'request.headers[x-a]', values: ['*-prod'] }] }), { headers: { 'x-a': 'eu-prod' } }).allowed).toBe(
      true,
    );
  });

  test('hosts: case-insensitive against the whole Host header, so an exact host does not match it with a port', () => {
    const allowHosts = (...hosts: string[]) => [ap('demo', 'p', { rules: [{ to: [{ operation: { hosts } }] }] })];
    expect(check(allowHosts('httpbin.demo'), { host: 'HTTPBIN.Demo' }).allowed).toBe(true);
    expect(check(allowHosts('httpbin.demo'), { host: 'httpbin.demo:8000' }).allowed).toBe(false);
    expect(check(allowHosts('httpbin.demo', 'httpbin.demo:*'), { host: 'httpbin.demo:8000' }).allowed).toBe(true);
    expect(check(allowHosts('httpbin.demo')).allowed).toBe(false);
  });

  test("paths are matched after Istio's default normalization: no query, dot segments, unreserved %XX, backslashes", () => {
    const denyIp = [
      ap('demo', 'all', { rules: [{}] }),
      ap('demo', 'no-ip', { action: 'DENY', rules: [{ to: [{ operation: { paths: ['/ip'] } }] }] }),
    ];
    for (const path of ['/ip', '/ip?x=1', '/get/../ip', '/./ip', '/%69%70', '/%2E%2E/ip', '\\ip']) {
      expect({ path, decidedBy: check(denyIp, { path }).decidedBy }).toEqual({ path, decidedBy: 'AuthorizationPolicy demo/no-ip' });
    }
    // Slashes are not merged and %2F is not decoded by default (MERGE_SLASHES / DECODE_AND_MERGE_SLASHES).
    expect(normalizePath('//ip')).toBe('//ip');
    expect(normalizePath('/a%2Fb/..')).toBe('/');
    expect(normalizePath('/a/b/..')).toBe('/a/');
    expect(() => check(denyIp, { path: '/ip%00' })).toThrow(/%00, which Istio rejects with HTTP 400/);
    expect(() => check(denyIp, { path: 'ip' })).toThrow(/path 'ip' does not start with '\/'/);
  });

  test('every not-field excludes what it lists', () => {
    const denyUnless = (rule: Record<string, unknown>) => [ap('demo', 'p', { rules: [rule] })];
    const cases: [Record<string, unknown>, Partial<AccessRequest>][] = [
      [{ from: [{ source: { notPrincipals: ['cluster.local/ns/demo/sa/sleep'] } }] }, {}],
      [{ from: [{ source: { notNamespaces: ['demo'] } }] }, {}],
      [{ from: [{ source: { notServiceAccounts: ['demo/sleep'] } }] }, {}],
      [{ from: [{ source: { notTrustDomains: ['cluster.local'] } }] }, {}],
      [{ from: [{ source: { notRequestPrincipals: ['*'] } }] }, { requestPrincipal: 'https://id/alice' }],
      [{ from: [{ source: { notIpBlocks: ['10.0.0.0/8'] } }] }, { sourceIp: '10.1.2.3' }],
      [{ from: [{ source: { notRemoteIpBlocks: ['10.1.0.0/16'] } }] }, { sourceIp: '10.1.2.3' }],
      [{ to: [{ operation: { notMethods: ['GET'] } }] }, {}],
      [{ to: [{ operation: { notPaths: ['/ip'] } }] }, {}],
      [{ to: [{ operation: { notHosts: ['httpbin*'] } }] }, { host: 'httpbin' }],
      [{ to: [{ operation: { notPorts: ['8080'] } }] }, {}],
      [{ when: [{ key: 'request.headers[x-a]', notValues: ['1'] }] }, { headers: { 'x-a': '1' } }],
    ];
    for (const [rule, r] of cases) {
      expect({ rule, allowed: check(denyUnless(rule), r).allowed }).toEqual({ rule, allowed: false });
      expect({
        rule,
        allowed: check(denyUnless(rule), {
          ...r,
          source: { namespace: 'x', serviceAccount: 'y', trustDomain: 'other.local' },
          method: 'POST',
          path: '/get',
          host: 'other',
          destination: { ...HTTPBIN, port: 9090 },
          headers: { 'x-a': '2' },
          requestPrincipal: undefined,
          sourceIp: '192.168.0.1',
        }).allowed,
      }).toEqual({ rule, allowed: true });
    }
  });

  test('plain text: no principal (notPrincipals * matches); refused before authorization under STRICT mTLS', () => {
    const denyPlain = [ap('demo', 'require-mtls', { action: 'DENY', rules: [{ from: [{ source: { notPrincipals: ['*'] } }] }] })];
    expect(check(denyPlain, { source: undefined })).toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy demo/require-mtls' });
    expect(check(denyPlain).allowed).toBe(true);
    const strict = pa('istio-system', 'default', { mtls: { mode: 'STRICT' } });
    expect(check([strict], { source: undefined })).toMatchObject({
      allowed: false,
      decidedBy: 'PeerAuthentication istio-system/default',
      reason: expect.stringMatching(/plain text refused/),
    });
    const exception = pa('demo', 'httpbin', {
      selector: { matchLabels: { app: 'httpbin' } },
      portLevelMtls: { 8080: { mode: 'PERMISSIVE' } },
    });
    expect(check([strict, exception], { source: undefined }).allowed).toBe(true);
  });

  test('fails on what Istio would refuse: an unknown condition key, source field or action', () => {
    expect(() => check([ap('demo', 'p', { rules: [{ when: [{ key: 'request.body', values: ['x'] }] }] })])).toThrow(AccessError);
    expect(() => check([ap('demo', 'p', { rules: [{ from: [{ source: { principal: ['x'] } }] }] })])).toThrow(
      /AuthorizationPolicy demo\/p: source field 'principal' is not an Istio source field/,
    );
    expect(() => check([ap('demo', 'p', { action: 'REJECT' })])).toThrow(/action 'REJECT' is not ALLOW, DENY, CUSTOM or AUDIT/);
  });
});

describe('scraping the sidecar (issue 14 item 10)', () => {
  const PROMETHEUS = { namespace: 'observability', serviceAccount: 'prometheus' };
  test.each([15020, 15090])('Prometheus scraping port %i is ALLOW: the port bypasses the inbound listener and its policies', (port) => {
    const explainer = s5();
    for (const source of [PROMETHEUS, undefined]) {
      const decision = explainer.check(request({ source, destination: { ...HTTPBIN, port }, path: '/stats/prometheus' }));
      expect(decision).toMatchObject({ verdict: 'allow', allowed: true });
      expect(decision.reason).toMatch(/served by the sidecar itself.*neither mTLS nor authorization policies apply/);
    }
    // The application port stays governed by default deny.
    expect(explainer.check(request({ source: PROMETHEUS, destination: HTTPBIN })).verdict).toBe('deny');
  });
});
