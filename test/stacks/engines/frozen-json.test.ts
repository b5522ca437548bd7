import { ApiObject } from 'cdk8s';
import { benchMeshDeclaration, BENCH_CLUSTER_API_GROUPS, buildBenchMesh } from '../../../stacks/bench/mesh';
import { renderCharts } from '../../../stacks/engines/render';
import { withJsonResolvedOnce } from '../../../stacks/engines/frozen-json';

describe('renderCharts resolves each object once', () => {
  test('validators and the rendering share one toJson per object (VirtualService, DestinationRule, Canary included)', () => {
    const app = buildBenchMesh(benchMeshDeclaration(8));
    const calls = new Map<ApiObject, number>();
    const objects = app.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject);
    for (const o of objects) {
      const resolve = o.toJson.bind(o);
      // An own property, as a class's toJson would be: the rendering wraps whatever the object has.
      Object.defineProperty(o, 'toJson', {
        configurable: true,
        writable: true,
        value: () => (calls.set(o, (calls.get(o) ?? 0) + 1), resolve()),
      });
    }
    const charts = renderCharts(app, { clusterApiGroups: BENCH_CLUSTER_API_GROUPS });
    expect(charts.flatMap((c) => c.objects).length).toBe(objects.length);
    const kinds = new Set(objects.map((o) => o.kind));
    expect([...kinds]).toEqual(expect.arrayContaining(['VirtualService', 'DestinationRule', 'Canary']));
    expect(Math.max(...objects.map((o) => calls.get(o) ?? 0))).toBe(1);
  });

  test('after the rendering, a change to an object shows in its next resolution', () => {
    const app = buildBenchMesh(benchMeshDeclaration(4));
    const deployment = app.node.findAll().find((c): c is ApiObject => c instanceof ApiObject && c.kind === 'Deployment')!;
    withJsonResolvedOnce(app, () => {
      expect(deployment.toJson()).toBe(deployment.toJson());
    });
    deployment.metadata.addLabel('changed', 'yes');
    expect(deployment.toJson().metadata.labels.changed).toBe('yes');
    expect(deployment.toJson()).not.toBe(deployment.toJson());
  });
});
