import * as path from 'path';
import { App, Chart } from 'cdk8s';
import { jaegerTracingProvider, MeshApp, Protocol } from '../../../constructs';
import { buildPlatform } from '../../../stacks/composition/platform';
import { renderCharts } from '../../../stacks/engines/render';
import { loadEnvironmentFile } from '../../../stacks/environments';
import { BENCH_CLUSTER_API_GROUPS, benchMeshDeclaration, buildBenchMesh, declaredCalls } from '../../../stacks/bench/mesh';
import { proxyVisibility } from '../../../stacks/inspection/proxy-visibility';
import { KubeObject } from '../../../constructs/core/kube-object';
import { referenceProxyVisibility } from '../../support/proxy-visibility-reference';
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

  describe('the indexed count equals testing every registry entry against every egress host (the first implementation)', () => {
    test.each(['dev', 'staging', 'prod'])('the shipped %s environment', (env) => {
      const app = buildPlatform(loadEnvironmentFile(path.join(REPO_ROOT, `Pulumi.${env}.yaml`)));
      const objects = renderCharts(app).flatMap((c) => c.objects);
      expect(proxyVisibility(app, objects, JAEGER)).toEqual(referenceProxyVisibility(app, objects, JAEGER));
    });

    test('a generated mesh of 120 services', () => {
      const app = buildBenchMesh(benchMeshDeclaration(120));
      const objects = renderCharts(app, { clusterApiGroups: BENCH_CLUSTER_API_GROUPS }).flatMap((c) => c.objects);
      const v = proxyVisibility(app, objects, JAEGER);
      expect(v.scoped).toBeGreaterThan(0);
      expect(v).toEqual(referenceProxyVisibility(app, objects, JAEGER));
    });

    test('every kind of egress host: exact, ./, namespace and host wildcards, */, overlapping patterns, repeated entries', () => {
      const namespaces = ['team-a', 'team-b', 'istio-system'];
      const tree = new App();
      const objects: KubeObject[] = [];
      for (const ns of namespaces) {
        const chart = new Chart(tree, ns, { namespace: ns });
        for (const name of ['web', 'api', 'db']) {
          new MeshApp(chart, name, { image: `${name}:1`, ports: [{ port: 80, protocol: Protocol.HTTP }] });
          objects.push({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns } });
        }
      }
      // Two ServiceEntries naming one host in one namespace are two registry entries; a wildcard host is one entry.
      for (const hosts of [['api.example.com', 'www.example.com'], ['api.example.com'], ['*.example.org']])
        objects.push({
          apiVersion: 'networking.istio.io/v1',
          kind: 'ServiceEntry',
          metadata: { name: hosts[0], namespace: 'team-a' },
          spec: { hosts },
        });
      const patterns = [
        ['team-b/api.team-b.svc.cluster.local'],
        ['./db.team-a.svc.cluster.local', './*', 'team-a/web.team-a.svc.cluster.local'],
        ['*/api.example.com', 'team-a/*.example.com', '*/*.svc.cluster.local'],
        ['*/*'],
        ['team-a/*', 'team-b/*', '~/*', 'team-c/*', '*/nothing.example.com'],
        ['istio-system/*.cluster.local', './*.example.org', '*/*.example.org'],
        [],
      ];
      const sidecar = (namespace: string, app: string, hosts: string[]): KubeObject => ({
        apiVersion: 'networking.istio.io/v1',
        kind: 'Sidecar',
        metadata: { name: app, namespace },
        spec: { workloadSelector: { labels: { app } }, egress: [{ hosts }] },
      });
      patterns.forEach((hosts, i) => {
        const ns = namespaces[i % namespaces.length];
        objects.push(sidecar(ns, ['web', 'api', 'db'][i % 3], hosts));
        // A canaried app's primary, and a workload that is no MeshApp (not counted).
        objects.push(sidecar(ns, `${['web', 'api', 'db'][i % 3]}-primary`, [...hosts].reverse()));
        objects.push(sidecar(ns, 'loadtester', hosts));
      });
      const v = proxyVisibility(tree, objects, JAEGER);
      expect(v.proxies).toBe(2 * patterns.length);
      expect(v.scoped).toBeGreaterThan(v.proxies);
      expect(v).toEqual(referenceProxyVisibility(tree, objects, JAEGER));
    });
  });
});
