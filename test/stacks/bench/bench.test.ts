import { benchMeshDeclaration, declaredCalls } from '../../../stacks/bench/mesh';
import { BenchSample, benchRows, benchTable, measure, medianSample } from '../../../stacks/bench/run';

describe('bench', () => {
  test('the synthetic mesh: three calls each, some across namespaces, a quarter canaried', () => {
    const services = benchMeshDeclaration(200);
    expect(declaredCalls(services)).toBe(600);
    expect(services.filter((s) => s.canary)).toHaveLength(50);
    expect(services.some((s) => s.calls.some((j) => services[j].namespace !== s.namespace))).toBe(true);
    expect(() => benchMeshDeclaration(2)).toThrow(/at least 4/);
  });

  test('both pipelines run through every phase and count their objects', () => {
    const mesh = measure('mesh', 8);
    const baseline = measure('baseline', 8);
    expect(baseline.objects).toBe(16);
    // Deployment, Service, ServiceAccount, ... per app: far more than the baseline's two.
    expect(mesh.objects).toBeGreaterThan(4 * 8);
    for (const s of [mesh, baseline]) expect(Object.values(s.ms).every((ms) => ms >= 0)).toBe(true);
    // The proxies of the mesh see exactly what they need.
    expect(mesh.visibility!.scoped).toBe(mesh.visibility!.limit);
    expect(baseline.visibility).toBeUndefined();
  });

  test('of repeated runs, the one of median CPU time is kept whole', () => {
    const run = (cpuMs: number, peakRssMiB: number): BenchSample => ({
      kind: 'mesh',
      services: 100,
      objects: 900,
      ms: { config: 1, construct: 2, render: 3, write: 4 },
      totalMs: 10,
      cpuMs,
      peakRssMiB,
    });
    expect(medianSample([run(300, 1), run(100, 2), run(200, 3)])).toEqual(run(200, 3));
    expect(medianSample([run(400, 1), run(100, 2), run(300, 3), run(200, 4)])).toEqual(run(200, 4));
    expect(medianSample([run(7, 1)])).toEqual(run(7, 1));
    expect(() => medianSample([])).toThrow(/no sample/);
  });

  test('ratio to the baseline and the log-log scaling exponent', () => {
    const sample = (kind: 'mesh' | 'baseline', services: number, totalMs: number): BenchSample => ({
      kind,
      services,
      objects: services,
      ms: { config: 0, construct: 0, render: 0, write: totalMs },
      totalMs: totalMs * 2,
      cpuMs: totalMs,
      peakRssMiB: 100,
    });
    const rows = benchRows([
      sample('mesh', 100, 100),
      sample('baseline', 100, 50),
      sample('mesh', 1000, 1000),
      sample('baseline', 1000, 800),
    ]);
    expect(rows.map((r) => r.ratio)).toEqual([2, 1.25]);
    expect(rows[1].exponent).toBeCloseTo(1);
    expect(benchTable(rows)).toContain('| 1000 | mesh | 1000 |');
  });
});
