import { Chart, Testing } from 'cdk8s';
import { IstioBase, Istiod, MeshNamespace, meshedPodSecurity, PodSecurityLevel, podSecurityLabels } from '../../../constructs';

/** The Pod Security labels of a namespace's rendered object. */
function podSecurityOf(chart: Chart): Record<string, string> {
  const ns = Testing.synth(chart).find((o) => o.kind === 'Namespace')!;
  return Object.fromEntries(
    Object.entries((ns.metadata.labels ?? {}) as Record<string, string>).filter(([k]) => k.startsWith('pod-security.kubernetes.io/')),
  );
}

function withIstio(cni: boolean, ns: (chart: Chart) => void): Chart {
  const app = Testing.app();
  const chart = new Chart(app, 'apps');
  ns(chart);
  // Declared after the namespaces: the level is resolved at synthesis.
  const platform = new Chart(app, 'platform');
  new Istiod(platform, 'istiod', { base: new IstioBase(platform, 'base'), cni });
  return chart;
}

describe('MeshNamespace Pod Security', () => {
  test('with the Istio CNI plugin a meshed namespace enforces restricted', () => {
    const chart = withIstio(true, (c) => new MeshNamespace(c, 'shop'));
    expect(podSecurityOf(chart)).toEqual(podSecurityLabels(PodSecurityLevel.RESTRICTED));
    expect((chart.node.findChild('shop') as MeshNamespace).podSecurity).toBe(PodSecurityLevel.RESTRICTED);
  });

  test('without it a meshed namespace enforces privileged (istio-init needs NET_ADMIN and NET_RAW), and warns and audits at restricted', () => {
    expect(podSecurityOf(withIstio(false, (c) => new MeshNamespace(c, 'shop')))).toEqual({
      'pod-security.kubernetes.io/enforce': 'privileged',
      'pod-security.kubernetes.io/enforce-version': 'v1.27',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/warn-version': 'v1.27',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/audit-version': 'v1.27',
    });
    expect(meshedPodSecurity(false)).toBe(PodSecurityLevel.PRIVILEGED);
  });

  test('a namespace without sidecar injection enforces baseline', () => {
    const chart = withIstio(false, (c) => new MeshNamespace(c, 'tools', { sidecarInjection: false }));
    expect(podSecurityOf(chart)['pod-security.kubernetes.io/enforce']).toBe('baseline');
  });

  test('an explicit level wins over the data plane', () => {
    const chart = withIstio(false, (c) => new MeshNamespace(c, 'shop', { podSecurity: PodSecurityLevel.BASELINE }));
    expect(podSecurityOf(chart)['pod-security.kubernetes.io/enforce']).toBe('baseline');
  });

  test('without an Istiod in the tree (Istio installed elsewhere) no Pod Security label is rendered', () => {
    const chart = Testing.chart();
    new MeshNamespace(chart, 'shop');
    expect(podSecurityOf(chart)).toEqual({});
    expect((chart.node.findChild('shop') as MeshNamespace).podSecurity).toBeUndefined();
  });
});

describe('PodSecurityLevel', () => {
  test('ALL lists privileged, baseline and restricted, the most permissive first', () => {
    expect(PodSecurityLevel.ALL).toEqual([PodSecurityLevel.PRIVILEGED, PodSecurityLevel.BASELINE, PodSecurityLevel.RESTRICTED]);
    expect(PodSecurityLevel.ALL.map((l) => l.name)).toEqual(['privileged', 'baseline', 'restricted']);
    expect(`${PodSecurityLevel.BASELINE}`).toBe('baseline');
  });

  test.each(PodSecurityLevel.ALL.map((l) => [l.name, l] as const))(
    'an explicit %s renders the enforce label by name',
    (name, podSecurity) => {
      const chart = withIstio(true, (c) => new MeshNamespace(c, 'shop', { podSecurity }));
      expect(podSecurityOf(chart)).toEqual({
        ...podSecurityLabels(PodSecurityLevel.RESTRICTED),
        'pod-security.kubernetes.io/enforce': name,
      });
      expect((chart.node.findChild('shop') as MeshNamespace).podSecurity).toBe(podSecurity);
    },
  );
});
