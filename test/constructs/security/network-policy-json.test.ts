import { Chart, Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { BENCH_CLUSTER_API_GROUPS, benchMeshDeclaration, buildBenchMesh } from '../../../stacks/bench/mesh';
import { renderCharts } from '../../../stacks/engines/render';

type Rule = { ports?: { port?: unknown }[] };

/** The spec with its ports as the L1 class takes them (IntOrString). */
function typed(spec: Record<string, any>): k8s.NetworkPolicySpec {
  const withPorts = (rules?: Rule[]) =>
    rules?.map((r) => ({ ...r, ports: r.ports?.map((p) => ({ ...p, port: k8s.IntOrString.fromNumber(p.port as number) })) }));
  return { ...spec, ingress: withPorts(spec.ingress), egress: withPorts(spec.egress) } as k8s.NetworkPolicySpec;
}

describe("ZeroTrustPolicy's NetworkPolicies (plain ApiObjects of their JSON)", () => {
  test('render the same JSON, key order included, as the L1 KubeNetworkPolicy for the same spec; ports are numbers', () => {
    const objects = renderCharts(buildBenchMesh(benchMeshDeclaration(12)), { clusterApiGroups: BENCH_CLUSTER_API_GROUPS }).flatMap(
      (c) => c.objects,
    );
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    // Per app (egress and ingress), and per namespace (default deny).
    expect(policies.filter((p) => (p.spec as { egress?: unknown }).egress).length).toBeGreaterThanOrEqual(12);
    for (const policy of policies) {
      const spec = policy.spec as { ingress?: Rule[]; egress?: Rule[] };
      for (const rule of [...(spec.ingress ?? []), ...(spec.egress ?? [])])
        for (const p of rule.ports ?? []) expect(typeof p.port).toBe('number');
      const chart = new Chart(Testing.app(), 'l1');
      new k8s.KubeNetworkPolicy(chart, 'np', { metadata: policy.metadata, spec: typed(policy.spec as Record<string, any>) });
      expect(JSON.stringify(policy)).toBe(JSON.stringify(Testing.synth(chart)[0]));
    }
  });
});
