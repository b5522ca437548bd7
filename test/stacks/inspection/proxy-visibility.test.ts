import * as path from 'path';
import { App, Chart } from 'cdk8s';
import { jaegerTracingProvider, MeshApp, Protocol } from '../../../constructs';
import { buildPlatform } from '../../../stacks/composition/platform';
import { renderCharts } from '../../../stacks/engines/render';
import { loadEnvironmentFile } from '../../../stacks/environments';
import { BENCH_CLUSTER_API_GROUPS, benchMeshDeclaration, buildBenchMesh, declaredCalls } from '../../../stacks/bench/mesh';
import { proxyVisibility } from '../../../stacks/inspection/proxy-visibility';
import { REPO_ROOT } from '../../support/shared-dir';

const JAEGER = jaegerTracingProvider().service;

describe('proxyVisibility', () => {
  test.each(['dev', 'staging'])('%s: every scoped proxy sees exactly its calls and the platform hosts it needs', (env) => {
    const app = buildPlatform(loadEnvironmentFile(path.join(REPO_ROOT, `Pulumi.${env}.yaml`)));
    const objects = renderCharts(app).flatMap((c) => c.objects);
    const v = proxyVisibility(app, objects, JAEGER);
    expect(v.proxies).toBeGreaterThan(0);
    expect(v.platformHosts).toContain(`observability/${JAEGER}`);
    expect(v.platformHosts).toEqual([`observability/${JAEGER}`]);
    // httpbin.org counts only for the proxies whose app declares it (sleep), with the egress gateway where routed so.
    expect(v.externalHosts.get('httpbin.org')).toEqual(
      env === 'staging'
        ? ['istio-system/httpbin.org', 'istio-system/istio-egressgateway.istio-system.svc.cluster.local']
        : ['istio-system/httpbin.org'],
    );
    // Nothing of istio-system beyond those: istiod, the gateways and the rest are not imported.
    expect(v.scoped).toBe(v.limit);
    expect(v.scoped).toBeLessThan(v.unscoped);
    for (const o of objects.filter((x) => x.kind === 'Sidecar')) expect(JSON.stringify(o)).not.toContain('istio-system/*');
  });

  test('a synthetic mesh: the limit is the declared calls plus the collector per proxy, and the Sidecars meet it', () => {
    const services = benchMeshDeclaration(60);
    const app = buildBenchMesh(services);
    const objects = renderCharts(app, { clusterApiGroups: BENCH_CLUSTER_API_GROUPS }).flatMap((c) => c.objects);
    const v = proxyVisibility(app, objects, JAEGER);
    // Canaried apps get a Sidecar for their primary too (the same calls).
    expect(v.proxies).toBeGreaterThanOrEqual(60);
    expect(v.limit).toBeGreaterThanOrEqual(declaredCalls(services) + 60);
    expect(v.scoped).toBe(v.limit);
    expect(v.unscoped).toBe(v.proxies * v.services);
  });

  test('a Sidecar importing istio-system/* counts every entry of istio-system', () => {
    const objects = [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'istiod', namespace: 'istio-system' } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'istio-ingressgateway', namespace: 'istio-system' } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'b', namespace: 'team' } },
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'Sidecar',
        metadata: { name: 'a', namespace: 'team' },
        spec: { workloadSelector: { labels: { app: 'a' } }, egress: [{ hosts: ['istio-system/*', './b.team.svc.cluster.local'] }] },
      },
    ];
    const tree = new App();
    const chart = new Chart(tree, 'team', { namespace: 'team' });
    new MeshApp(chart, 'a', { image: 'a:1', ports: [{ port: 80, protocol: Protocol.HTTP }] });
    const v = proxyVisibility(tree, objects);
    expect(v).toMatchObject({ proxies: 1, services: 3, scoped: 3, unscoped: 3, limit: 0 });
    // A Sidecar of a workload that is no MeshApp (the load tester) has no declared calls: not counted.
    expect(proxyVisibility(new App(), objects)).toMatchObject({ proxies: 0, scoped: 0, limit: 0 });
  });
});
