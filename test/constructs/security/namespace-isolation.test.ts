import { Chart, Testing } from 'cdk8s';
import { NamespaceIsolation, NetworkPeer } from '../../../constructs';

describe('NamespaceIsolation', () => {
  test('renders a default-deny ingress NetworkPolicy and one allow-<name> NetworkPolicy per rule', () => {
    const chart = Testing.chart();
    const isolation = new NamespaceIsolation(chart, 'iso', { namespace: 'istio-system' });
    isolation.allowIngress({
      name: 'istiod-webhooks',
      pods: { app: 'istiod' },
      from: [NetworkPeer.anywhere()],
      ports: [15017],
      purpose: 'the API server calls the webhooks',
    });
    isolation.allowIngress({
      name: 'istiod-monitoring',
      pods: { app: 'istiod' },
      from: [NetworkPeer.pods('observability', { 'app.kubernetes.io/name': 'prometheus' }), NetworkPeer.anyPod()],
      ports: [15014, 15014],
      purpose: 'scrapes',
    });
    expect(Testing.synth(chart)).toEqual([
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: {
          name: 'default-deny-ingress',
          namespace: 'istio-system',
          annotations: { 'mesh.platform/purpose': expect.any(String) },
        },
        spec: { podSelector: {}, policyTypes: ['Ingress'] },
      },
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: {
          name: 'allow-istiod-webhooks',
          namespace: 'istio-system',
          annotations: { 'mesh.platform/purpose': 'the API server calls the webhooks' },
        },
        // No `from`: any source, the API server included (its address is no pod's).
        spec: {
          podSelector: { matchLabels: { app: 'istiod' } },
          policyTypes: ['Ingress'],
          ingress: [{ ports: [{ protocol: 'TCP', port: 15017 }] }],
        },
      },
      expect.objectContaining({
        metadata: expect.objectContaining({ name: 'allow-istiod-monitoring' }),
        spec: {
          podSelector: { matchLabels: { app: 'istiod' } },
          policyTypes: ['Ingress'],
          ingress: [
            {
              from: [
                {
                  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } },
                  podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
                },
                { namespaceSelector: {} },
              ],
              ports: [{ protocol: 'TCP', port: 15014 }],
            },
          ],
        },
      }),
    ]);
    expect(isolation.ingress.map((r) => r.name)).toEqual(['istiod-webhooks', 'istiod-monitoring']);
    expect(isolation.objects).toHaveLength(3);
  });

  const rule = { name: 'x', from: [NetworkPeer.anyPod()], ports: [80], purpose: 'p' };
  test('fails when a rule is added twice', () => {
    const isolation = new NamespaceIsolation(Testing.chart(), 'iso', { namespace: 'ns', ingress: [rule] });
    expect(() => isolation.allowIngress(rule)).toThrow(
      "NamespaceIsolation test/iso: namespace ns, rule 'x': added twice; give each rule its own name",
    );
  });

  test('fails when from is empty, which would allow nothing', () => {
    expect(() => new NamespaceIsolation(Testing.chart(), 'iso', { namespace: 'ns', ingress: [{ ...rule, from: [] }] })).toThrow(
      "'from' is empty, which would allow nothing; name the peers or use NetworkPeer.anywhere()",
    );
  });

  test('fails when a port is not a port number', () => {
    expect(() => new NamespaceIsolation(Testing.chart(), 'iso', { namespace: 'ns', ingress: [{ ...rule, ports: [0] }] })).toThrow(
      'ports [0] must be a non-empty list of port numbers 1-65535',
    );
    expect(() => new NamespaceIsolation(Testing.chart(), 'iso', { namespace: 'ns', ingress: [{ ...rule, ports: [] }] })).toThrow(
      'must be a non-empty list of port numbers',
    );
  });

  test('fails when a name or namespace is not a DNS-1123 label', () => {
    expect(() => new NamespaceIsolation(Testing.chart(), 'iso', { namespace: 'Bad_NS' })).toThrow(
      "namespace 'Bad_NS' is not a DNS-1123 label; use e.g. 'istio-system'",
    );
    expect(() => new NamespaceIsolation(Testing.chart(), 'iso', { namespace: 'ns', ingress: [{ ...rule, name: 'No' }] })).toThrow(
      "rule 'No': the name is not a DNS-1123 label",
    );
    expect(() => NetworkPeer.pods('Bad_NS')).toThrow("NetworkPeer.pods: namespace 'Bad_NS' is not a DNS-1123 label");
  });

  test('a rule may cover UDP as well as TCP; an empty protocol list fails', () => {
    const chart = Testing.chart();
    new NamespaceIsolation(chart, 'iso', { namespace: 'ns', ingress: [{ ...rule, ports: [9094], protocols: ['TCP', 'UDP'] }] });
    expect(Testing.synth(chart)[1].spec.ingress[0].ports).toEqual([
      { protocol: 'TCP', port: 9094 },
      { protocol: 'UDP', port: 9094 },
    ]);
    expect(() => new NamespaceIsolation(Testing.chart(), 'iso', { namespace: 'ns', ingress: [{ ...rule, protocols: [] }] })).toThrow(
      "rule 'x': protocols is empty; leave it out for TCP",
    );
  });

  test('a namespace peer without labels selects every pod of the namespace', () => {
    expect(NetworkPeer.pods('observability').peer).toEqual({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } },
    });
    expect(NetworkPeer.anywhere().peer).toBeUndefined();
  });

  test('a ZeroTrustPolicy isolates each namespace it governs once, however many policies govern it', () => {
    const { ZeroTrustPolicy, MeshApp } = require('../../../constructs');
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'shop' });
    const a = new MeshApp(chart, 'a', { image: 'a:1', ports: [{ port: 8080 }] });
    const b = new MeshApp(chart, 'b', { image: 'b:1', ports: [{ port: 8080 }] });
    new ZeroTrustPolicy(chart, 'p1', { apps: [a] });
    new ZeroTrustPolicy(chart, 'p2', { apps: [b] });
    const denies = Testing.synth(chart).filter((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'default-deny-ingress');
    expect(denies).toHaveLength(1);
    const off = new Chart(Testing.app(), 'c', { namespace: 'shop' });
    new ZeroTrustPolicy(off, 'p', { apps: [new MeshApp(off, 'a', { image: 'a:1', ports: [{ port: 8080 }] })], networkPolicies: false });
    expect(Testing.synth(off).filter((o) => o.kind === 'NetworkPolicy')).toEqual([]);
  });
});
