import { accessCheck, environmentForAccess } from '../../../stacks/cli/access';
import { KubeObject } from '../../../stacks/engines/render';
import { NetworkPolicyExplainer, selectorMatches } from '../../../stacks/inspection/access/network-policy';
import { REPO_ROOT } from '../../support/shared-dir';

const np = (namespace: string, name: string, spec: Record<string, unknown>): KubeObject =>
  ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec }) as KubeObject;
const web = { namespace: 'shop', labels: { app: 'web' } };
const db = { namespace: 'shop', labels: { app: 'db' } };
const prom = { namespace: 'observability', labels: { app: 'prometheus' } };

describe('NetworkPolicyExplainer', () => {
  test('a pod no policy selects accepts everything; a default deny isolates every pod of its namespace', () => {
    expect(new NetworkPolicyExplainer([]).check({ from: 'outside', to: db, port: 5432 }).allowed).toBe(true);
    const deny = new NetworkPolicyExplainer([np('shop', 'default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] })]);
    expect(deny.check({ from: web, to: db, port: 5432 })).toMatchObject({
      allowed: false,
      decidedBy: ['NetworkPolicy shop/default-deny-ingress'],
    });
    // Another namespace is not isolated by it.
    expect(deny.check({ from: web, to: prom, port: 9090 }).allowed).toBe(true);
  });

  test('policies add up: one admitting rule is enough; peers, namespaces and ports must all match', () => {
    const objects = [
      np('shop', 'default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] }),
      np('shop', 'db', {
        podSelector: { matchLabels: { app: 'db' } },
        policyTypes: ['Ingress'],
        ingress: [
          { from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ protocol: 'TCP', port: 5432 }] },
          {
            from: [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } },
                podSelector: { matchLabels: { app: 'prometheus' } },
              },
            ],
            ports: [{ port: 9187 }],
          },
        ],
      }),
    ];
    const e = new NetworkPolicyExplainer(objects);
    expect(e.check({ from: web, to: db, port: 5432 })).toMatchObject({ allowed: true, decidedBy: ['NetworkPolicy shop/db'] });
    expect(e.check({ from: web, to: db, port: 9187 }).allowed).toBe(false);
    expect(e.check({ from: prom, to: db, port: 9187 }).allowed).toBe(true);
    // podSelector alone: pods of the policy's own namespace only.
    expect(e.check({ from: { namespace: 'other', labels: { app: 'web' } }, to: db, port: 5432 }).allowed).toBe(false);
    expect(e.check({ from: 'outside', to: db, port: 5432 }).allowed).toBe(false);
    expect(e.check({ from: web, to: db, port: 5432, protocol: 'UDP' }).allowed).toBe(false);
  });

  test('a rule without from admits any source, outside the pod network included; an ipBlock only outside sources', () => {
    const e = new NetworkPolicyExplainer([
      np('istio-system', 'webhooks', {
        podSelector: { matchLabels: { app: 'istiod' } },
        policyTypes: ['Ingress'],
        ingress: [{ ports: [{ port: 15017 }] }],
      }),
      np('edge', 'lb', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] }),
    ]);
    const istiod = { namespace: 'istio-system', labels: { app: 'istiod' } };
    expect(e.check({ from: 'outside', to: istiod, port: 15017 }).allowed).toBe(true);
    expect(e.check({ from: web, to: istiod, port: 15017 }).allowed).toBe(true);
    expect(e.check({ from: 'outside', to: istiod, port: 15012 }).allowed).toBe(false);
    expect(e.check({ from: 'outside', to: { namespace: 'edge', labels: {} }, port: 1 }).allowed).toBe(true);
    expect(e.check({ from: web, to: { namespace: 'edge', labels: {} }, port: 1 }).allowed).toBe(false);
  });

  test("the source's egress policies apply too; an empty namespaceSelector matches every namespace", () => {
    const e = new NetworkPolicyExplainer([
      np('shop', 'web', {
        podSelector: { matchLabels: { app: 'web' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'db' } } }] }],
      }),
    ]);
    expect(e.check({ from: web, to: db, port: 5432 }).allowed).toBe(true);
    expect(e.check({ from: web, to: prom, port: 9090 })).toMatchObject({ allowed: false, decidedBy: ['NetworkPolicy shop/web'] });
  });

  test('label selectors: matchLabels and every matchExpressions operator', () => {
    const labels = { app: 'web', tier: 'front' };
    expect(selectorMatches(undefined, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'web-primary'] }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, labels)).toBe(false);
    expect(selectorMatches({ matchLabels: { app: 'db' } }, labels)).toBe(false);
  });
});

describe('access check evaluates the NetworkPolicies too, when the caller is a known workload', () => {
  const { objects, chartWorkloads } = environmentForAccess(REPO_ROOT, 'staging');
  /** staging plus a Deployment `demo/legacy` whose pods get no sidecar (a caller in plain text, like Flagger). */
  const sleep = objects.find((o) => o.kind === 'Deployment' && o.metadata.namespace === 'demo' && o.metadata.name === 'sleep') as any;
  const legacy = JSON.parse(JSON.stringify(sleep));
  legacy.metadata.name = 'legacy';
  legacy.spec.template.metadata.labels = { app: 'legacy', 'sidecar.istio.io/inject': 'false' };
  const withLegacy = [...objects, legacy];
  const check = (from: string, to: string, path: string, port?: string) =>
    accessCheck(withLegacy, { from, to, method: 'POST', path, header: [], port }, chartWorkloads);

  test("a pod outside the mesh other than Flagger passes the load tester's authorization (plain text) but not its NetworkPolicy", () => {
    const { decision, text } = check('demo/legacy', 'test/flagger-loadtester', '/gate/check');
    expect(decision).toMatchObject({
      verdict: 'deny',
      decidedBy: 'NetworkPolicy test/default-deny-ingress, NetworkPolicy test/flagger-loadtester',
    });
    expect(decision.reason).toMatch(/^the NetworkPolicies refuse the connection before any proxy sees it/);
    expect(text).toMatch(/^DENY: demo\/legacy \(no sidecar: plain text\) -> test\/flagger-loadtester POST \/gate\/check\n/);
    expect(text).toMatch(/\n {2}network: {4}refused: /);
    expect(check('istio-system/flagger', 'test/flagger-loadtester', '/gate/check').decision.verdict).toBe('allow');
  });

  test("an app reaches another app's sidecar metrics port (no authorization there) only if the NetworkPolicies let it: Prometheus only", () => {
    // sleep's own egress policy lets it reach httpbin's app port only.
    expect(check('demo/sleep', 'demo/httpbin', '/stats/prometheus', '15020').decision).toMatchObject({
      verdict: 'deny',
      decidedBy: 'NetworkPolicy demo/sleep',
    });
    // A pod without egress policy meets httpbin's ingress policy, which admits Prometheus only there.
    expect(check('demo/legacy', 'demo/httpbin', '/stats/prometheus', '15020').decision).toMatchObject({
      verdict: 'deny',
      decidedBy: expect.stringContaining('NetworkPolicy demo/httpbin'),
    });
  });

  test('an unknown caller (its pods unknown) is judged by authorization alone, as before', () => {
    const { decision, text } = check('test/flagger-loadtester', 'demo/httpbin', '/status/200');
    expect(decision.verdict).toBe('allow');
    expect(text).toMatch(/network: {4}allowed by NetworkPolicy demo\/httpbin/);
    expect(check('observability/prometheus-server', 'demo/httpbin', '/stats/prometheus', '15020').text).not.toMatch(/network:/);
  });
});
