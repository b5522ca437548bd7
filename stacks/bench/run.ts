import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ApiObject, App, Yaml } from 'cdk8s';
import { jaegerTracingProvider } from '../../constructs';
import { renderCharts, renderFluxTree } from '../engines/render';
import { proxyVisibility } from '../inspection/proxy-visibility';
import * as YAML from 'yaml';
import { BENCH_CLUSTER_API_GROUPS, BenchService, benchMeshDeclaration, buildBaseline, buildBenchMesh } from './mesh';

/** The phases timed, in order. */
export const BENCH_PHASES = ['config', 'construct', 'render', 'write'] as const;

/** What one child process measured. */
export interface BenchSample {
  readonly kind: 'mesh' | 'baseline';
  readonly services: number;
  readonly objects: number;
  /** Milliseconds per phase. */
  readonly ms: Record<(typeof BENCH_PHASES)[number], number>;
  readonly totalMs: number;
  /** CPU time of the phases (user + system), ms: steadier than wall time on a shared machine. */
  readonly cpuMs: number;
  /** Visible-service pairs of the mesh's proxies (scoped, unscoped, limit); not timed. */
  readonly visibility?: { readonly scoped: number; readonly unscoped: number; readonly limit: number };
  /** Peak resident set of the process, MiB (`process.resourceUsage().maxRSS`). */
  readonly peakRssMiB: number;
}

/**
 * Measures one pipeline in this process: the mesh (config, construct, render with every validation, the
 * Flux tree written to a temporary folder) or the plain cdk8s-plus baseline (validated, resolved and
 * written the same way).
 */
export function measure(kind: 'mesh' | 'baseline', size: number): BenchSample {
  const declarationText = YAML.stringify(benchMeshDeclaration(size));
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `mesh-bench-${kind}-`));
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    // Config: the declaration, read from YAML text as a config file would hold it.
    const services = YAML.parse(declarationText) as BenchService[];
    const t1 = performance.now();
    const app = kind === 'mesh' ? buildBenchMesh(services) : buildBaseline(services);
    const t2 = performance.now();
    let count: () => BenchSample['visibility'] = () => undefined;
    let objects: number;
    let write: () => Map<string, string>;
    if (kind === 'mesh') {
      const charts = renderCharts(app, { clusterApiGroups: BENCH_CLUSTER_API_GROUPS });
      objects = charts.reduce((n, c) => n + c.objects.length, 0);
      write = () => renderFluxTree(charts);
      // After the timing: the figure of proxy configuration.
      count = () => {
        const v = proxyVisibility(
          app,
          charts.flatMap((c) => c.objects),
          jaegerTracingProvider().service,
        );
        return { scoped: v.scoped, unscoped: v.unscoped, limit: v.limit };
      };
    } else {
      const charts = baselineRender(app);
      objects = charts.reduce((n, c) => n + c.objects.length, 0);
      write = () => new Map(charts.map((c) => [`${c.id}.yaml`, Yaml.stringify(...c.objects)]));
    }
    const t3 = performance.now();
    const files = write();
    for (const [relative, content] of files) {
      const file = path.join(out, relative);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    }
    const t4 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    const peakRssMiB = process.resourceUsage().maxRSS / 1024;
    const visibility = count();
    const ms = { config: t1 - t0, construct: t2 - t1, render: t3 - t2, write: t4 - t3 };
    return {
      kind,
      services: size,
      objects,
      ms,
      totalMs: t4 - t0,
      cpuMs: (cpu.user + cpu.system) / 1000,
      visibility,
      peakRssMiB,
    };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

/** cdk8s's own synthesis of plain charts: validate every construct, then resolve every object. */
function baselineRender(app: App): { id: string; objects: unknown[] }[] {
  const problems = app.node.findAll().flatMap((c) => c.node.validate());
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return app.charts.map((chart) => ({
    id: chart.node.id,
    objects: chart.node
      .findAll()
      .filter((c): c is ApiObject => c instanceof ApiObject)
      .map((o) => o.toJson()),
  }));
}

/** One row of the table: the mesh beside its baseline at one size. */
export interface BenchRow {
  readonly mesh: BenchSample;
  readonly baseline: BenchSample;
  /** Mesh CPU time over baseline CPU time. */
  readonly ratio: number;
  /** Log-log slope of mesh CPU time against services from the previous size. */
  readonly exponent?: number;
}

/** Rows with the ratio to the baseline and the scaling exponent between successive sizes. */
export function benchRows(samples: readonly BenchSample[]): BenchRow[] {
  const sizes = [...new Set(samples.map((s) => s.services))].sort((a, b) => a - b);
  const rows: BenchRow[] = [];
  for (const size of sizes) {
    const mesh = samples.find((s) => s.kind === 'mesh' && s.services === size);
    const baseline = samples.find((s) => s.kind === 'baseline' && s.services === size);
    if (!mesh || !baseline) throw new Error(`bench: size ${size} lacks its ${mesh ? 'baseline' : 'mesh'} sample`);
    const previous = rows[rows.length - 1];
    const exponent = previous ? Math.log(mesh.cpuMs / previous.mesh.cpuMs) / Math.log(mesh.services / previous.mesh.services) : undefined;
    rows.push({ mesh, baseline, ratio: mesh.cpuMs / baseline.cpuMs, exponent });
  }
  return rows;
}

/** The table, in Markdown. */
export function benchTable(rows: readonly BenchRow[]): string {
  const f = (n: number) => n.toFixed(0);
  const lines = [
    '| services | pipeline | objects | config ms | construct ms | render ms | write ms | total ms | CPU ms | objects/s (CPU) | ' +
      'peak RSS MiB | CPU / baseline | exponent | visible pairs: scoped / unscoped / limit |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const row of rows) {
    for (const s of [row.mesh, row.baseline]) {
      const isMesh = s === row.mesh;
      lines.push(
        `| ${s.services} | ${s.kind} | ${s.objects} | ${BENCH_PHASES.map((p) => f(s.ms[p])).join(' | ')} | ${f(s.totalMs)} | ` +
          `${f(s.cpuMs)} | ${f((s.objects / s.cpuMs) * 1000)} | ${f(s.peakRssMiB)} | ${isMesh ? row.ratio.toFixed(2) : '1.00'} | ` +
          `${isMesh && row.exponent !== undefined ? row.exponent.toFixed(2) : ''} | ` +
          `${s.visibility ? `${s.visibility.scoped} / ${s.visibility.unscoped} / ${s.visibility.limit}` : ''} |`,
      );
    }
  }
  return lines.join('\n');
}

/** Targets of issue 15. */
export const BENCH_TARGETS = { maxRatio: 2, maxExponent: 1.05, maxPeakRssMiBAt4000: 600 } as const;

/**
 * Of several samples of one size and pipeline, the one of median CPU time (the lower middle one of an even count), so
 * that its figures stay those of one run.
 */
export function medianSample(samples: readonly BenchSample[]): BenchSample {
  if (samples.length === 0) throw new Error('bench: no sample to take the median of');
  const sorted = [...samples].sort((a, b) => a.cpuMs - b.cpuMs);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/**
 * Runs every size and pipeline in a fresh child process each (so peak RSS is its own), `repeat` times (the baseline and
 * the mesh alternating, so that a change of the machine's load touches both), keeps the run of median CPU time of each,
 * prints the table and a JSON line.
 */
export function main(sizes: readonly number[], repeat = 1): number {
  const samples: BenchSample[] = [];
  for (const size of sizes) {
    const runs: BenchSample[] = [];
    for (let r = 0; r < repeat; r++) {
      for (const kind of ['baseline', 'mesh'] as const) {
        const register = __filename.endsWith('.ts') && !process.execArgv.includes('ts-node/register/transpile-only');
        const execArgv = [...process.execArgv, ...(register ? ['-r', 'ts-node/register/transpile-only'] : [])];
        const child = spawnSync(process.execPath, [...execArgv, __filename, '--child', kind, String(size)], {
          encoding: 'utf8',
          maxBuffer: 1 << 24,
        });
        if (child.status !== 0) {
          process.stderr.write(child.stderr);
          throw new Error(`bench: the ${kind} of ${size} services failed (exit ${child.status})`);
        }
        const line = child.stdout.trim().split('\n').pop()!;
        runs.push(JSON.parse(line) as BenchSample);
      }
    }
    for (const kind of ['baseline', 'mesh'] as const) samples.push(medianSample(runs.filter((s) => s.kind === kind)));
  }
  const rows = benchRows(samples);
  if (repeat > 1) process.stdout.write(`Each row: the run of median CPU time of ${repeat}.\n\n`);
  process.stdout.write(`${benchTable(rows)}\n\n`);
  const largest = rows[rows.length - 1];
  const summary = {
    bench: 'mesh-vs-cdk8s-plus',
    node: process.version,
    repeat,
    rows: rows.map((r) => ({
      services: r.mesh.services,
      objects: r.mesh.objects,
      ms: Math.round(r.mesh.totalMs),
      cpuMs: Math.round(r.mesh.cpuMs),
      baselineMs: Math.round(r.baseline.totalMs),
      baselineCpuMs: Math.round(r.baseline.cpuMs),
      visiblePairs: r.mesh.visibility,
      ratio: +r.ratio.toFixed(2),
      exponent: r.exponent === undefined ? null : +r.exponent.toFixed(2),
      peakRssMiB: Math.round(r.mesh.peakRssMiB),
    })),
    targets: {
      ratio: rows.every((r) => r.ratio <= BENCH_TARGETS.maxRatio),
      exponent: rows.every((r) => r.exponent === undefined || r.exponent <= BENCH_TARGETS.maxExponent),
      peakRss: largest.mesh.services < 4000 || largest.mesh.peakRssMiB <= BENCH_TARGETS.maxPeakRssMiBAt4000,
    },
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return 0;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    const sample = measure(args[1] as 'mesh' | 'baseline', Number(args[2]));
    process.stdout.write(`${JSON.stringify(sample)}\n`);
  } else {
    // `[--repeat N] [sizes...]`: N runs of each size and pipeline, the median kept (default 1).
    const at = args.indexOf('--repeat');
    const repeat = at >= 0 ? Number(args[at + 1]) : 1;
    const rest = at >= 0 ? [...args.slice(0, at), ...args.slice(at + 2)] : args;
    const sizes = rest.length > 0 ? rest.map(Number) : [100, 1000, 4000];
    if (!Number.isInteger(repeat) || repeat < 1) {
      process.stderr.write(`bench: --repeat ${args[at + 1]} is not a whole number of runs; use --repeat 3 (or more)\n`);
      process.exitCode = 2;
    } else process.exitCode = main(sizes, repeat);
  }
}
