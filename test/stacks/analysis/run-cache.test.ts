import { KubeObject } from '../../../constructs/core/kube-object';
import { meshModel } from '../../../stacks/analysis/analyzers/mesh-model';
import { Analyzer } from '../../../stacks/analysis/analyzer';
import { analyze } from '../../../stacks/analysis/registry';
import { objectsOfKind, oncePerRun, withRunCache } from '../../../stacks/analysis/run-cache';
import { istioObjects } from '../../../stacks/analysis/analyzers/mesh-model';

const service = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'demo' } });

describe('what analyzers derive from one input is computed once per analysis run', () => {
  test('inside a run, one value per key and subject; outside, a fresh one every call', () => {
    let computed = 0;
    const compute = () => ({ n: ++computed });
    const a = {};
    const b = {};
    withRunCache(() => {
      expect(oncePerRun('k', a, compute)).toBe(oncePerRun('k', a, compute));
      expect(oncePerRun('k', b, compute)).not.toBe(oncePerRun('k', a, compute));
      expect(oncePerRun('other', a, compute)).not.toBe(oncePerRun('k', a, compute));
      // A nested run starts empty and leaves the outer run's values in place.
      const outer = oncePerRun('k', a, compute);
      withRunCache(() => expect(oncePerRun('k', a, compute)).not.toBe(outer));
      expect(oncePerRun('k', a, compute)).toBe(outer);
    });
    expect(computed).toBe(4);
    expect(oncePerRun('k', a, compute)).not.toBe(oncePerRun('k', a, compute));
  });

  test('every analyzer of one analyze() reads the same mesh model; a changed list gets a new one in the next run', () => {
    const objects = [service('a')];
    const seen: ReturnType<typeof meshModel>[] = [];
    const reader = (code: string): Analyzer => ({
      code,
      name: 'Reader',
      severity: 'warning',
      description: 'reads the mesh model',
      analyze: ({ objects: o }) => (seen.push(meshModel(o)), []),
    });
    const analyzers = [reader('TEST0001'), reader('TEST0002')];
    analyze({ objects }, { analyzers });
    expect(seen[0]).toBe(seen[1]);
    objects.push(service('b'));
    analyze({ objects }, { analyzers });
    expect(seen[2]).not.toBe(seen[0]);
    expect(seen[2].hosts).toContain('b.demo.svc.cluster.local');
  });

  test('objectsOfKind: the objects of one kind in output order, one index per run, a fresh pass outside a run', () => {
    const sidecar = (name: string, apiVersion = 'networking.istio.io/v1'): KubeObject => ({
      apiVersion,
      kind: 'Sidecar',
      metadata: { name, namespace: 'demo' },
    });
    const objects = [service('a'), sidecar('s1'), service('b'), sidecar('other', 'example.com/v1'), sidecar('s2')];
    const names = (list: readonly KubeObject[]) => list.map((o) => o.metadata.name);
    expect(names(objectsOfKind(objects, 'Service'))).toEqual(['a', 'b']);
    expect(names(objectsOfKind(objects, 'Sidecar'))).toEqual(['s1', 'other', 's2']);
    expect(objectsOfKind(objects, 'Gateway')).toEqual([]);
    // Only Istio's API groups count as Istio objects: a Sidecar kind of another group is not one.
    expect(names(istioObjects(objects, 'Sidecar'))).toEqual(['s1', 's2']);
    withRunCache(() => {
      expect(objectsOfKind(objects, 'Service')).toBe(objectsOfKind(objects, 'Service'));
      expect(istioObjects(objects, 'Sidecar')).toBe(istioObjects(objects, 'Sidecar'));
    });
    // Outside a run nothing is kept: a changed list shows at once.
    objects.push(service('c'));
    expect(names(objectsOfKind(objects, 'Service'))).toEqual(['a', 'b', 'c']);
  });
});
