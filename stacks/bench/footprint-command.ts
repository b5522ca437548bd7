import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { ExitCode, printJson, setExitCode, UsageError } from '../cli/context';
import type { Footprint } from './footprint';

/** Options of `mesh footprint`. */
export interface FootprintCommandOptions {
  /** The environment (`Pulumi.<env>.yaml`); or {@link dir}. */
  readonly env?: string;
  /** A synthesized folder (`dist/dev`, or one of another commit) instead of an environment. */
  readonly dir?: string;
  /** Folder of the `Pulumi.<env>.yaml` files. */
  readonly configDir: string;
  /**
   * Fail (exit code 1) when the total CPU requested is above this quantity (`2`, `1500m`).
   * @default - no limit
   */
  readonly maxCpu?: string;
  /**
   * Fail (exit code 1) when the total memory requested is above this quantity (`4Gi`).
   * @default - no limit
   */
  readonly maxMemory?: string;
}

/** The footprint of an environment's `Pulumi.<env>.yaml`, through the same pipeline as the synth (config, construct, render). */
export function environmentFootprint(opts: { readonly env: string; readonly configDir: string }): Footprint {
  const configFile = path.join(opts.configDir, `Pulumi.${opts.env}.yaml`);
  if (!fs.existsSync(configFile)) throw new UsageError(`--env ${opts.env}: no ${path.basename(configFile)} in ${opts.configDir}`);
  const { loadEnvironmentFile } = require('../environments') as typeof import('../environments');
  const { buildPlatform } = require('../composition/platform') as typeof import('../composition/platform');
  const { renderCharts } = require('../engines/render') as typeof import('../engines/render');
  const { computeFootprint } = require('./footprint') as typeof import('./footprint');
  return computeFootprint(renderCharts(buildPlatform(loadEnvironmentFile(configFile))).flatMap((c) => c.objects));
}

/** The budget problems of a footprint: one line per total above its `--max-cpu` / `--max-memory`. */
export function budgetProblems(
  f: Footprint,
  opts: { readonly env: string; readonly maxCpu?: string; readonly maxMemory?: string },
): string[] {
  const { formatCpu, formatMemory, requestsOf } = require('./footprint') as typeof import('./footprint');
  const problems: string[] = [];
  const parse = (flag: string, value: string, cpu: boolean): number => {
    try {
      const r = requestsOf({ requests: cpu ? { cpu: value, memory: '1' } : { cpu: '1', memory: value } });
      const n = cpu ? r.cpuMilli : r.memoryBytes;
      if (n > 0) return n;
    } catch {
      // reported below
    }
    throw new UsageError(`${flag} ${value} is not a positive quantity; use e.g. ${cpu ? '2 or 1500m' : '4Gi or 3500Mi'}`);
  };
  if (opts.maxCpu !== undefined && f.total.cpuMilli > parse('--max-cpu', opts.maxCpu, true)) {
    problems.push(
      `${opts.env} requests ${formatCpu(f.total.cpuMilli)} vCPU, above --max-cpu ${opts.maxCpu}; lower mesh:workloads.resources or mesh:istio.install.proxy.resources`,
    );
  }
  if (opts.maxMemory !== undefined && f.total.memoryBytes > parse('--max-memory', opts.maxMemory, false)) {
    problems.push(
      `${opts.env} requests ${formatMemory(f.total.memoryBytes)} of memory, above --max-memory ${opts.maxMemory}; lower the largest rows above`,
    );
  }
  return problems;
}

/** Registers `mesh footprint` on the program. */
export function registerFootprintCommand(program: Command, configDir: string): void {
  program
    .command('footprint')
    .description("what an environment's pods request, per component (Helm releases, apps, their sidecars), and the total")
    .option('-e, --env <name>', 'the environment (Pulumi.<env>.yaml)')
    .option('-d, --dir <folder>', 'a synthesized folder instead, e.g. dist/dev of another commit')
    .option('--max-cpu <quantity>', 'exit 1 when the total CPU requested is above this (2, 1500m)')
    .option('--max-memory <quantity>', 'exit 1 when the total memory requested is above this (4Gi)')
    .option('-c, --config-dir <dir>', 'folder of the Pulumi.<env>.yaml files', configDir)
    .option('--json', 'print the components, the total and the sidecars as JSON (CPU in millicores, memory in bytes)')
    .action((opts: FootprintCommandOptions & { json?: boolean }) => {
      if (!opts.env === !opts.dir) throw new UsageError('footprint needs exactly one of --env <name> or --dir <folder>');
      let footprint: Footprint;
      if (opts.dir) {
        const { objectsOfFolder } = require('../cli/analyze') as typeof import('../cli/analyze');
        const { computeFootprint } = require('./footprint') as typeof import('./footprint');
        footprint = computeFootprint(objectsOfFolder(path.resolve(opts.dir)));
      } else footprint = environmentFootprint({ env: opts.env!, configDir: path.resolve(opts.configDir) });
      const name = opts.env ?? opts.dir!;
      const problems = budgetProblems(footprint, { ...opts, env: name });
      if (opts.json) printJson({ environment: name, ...footprint, problems });
      else {
        const { footprintTable } = require('./footprint') as typeof import('./footprint');
        process.stdout.write(footprintTable(footprint));
        for (const p of problems) console.error(`error: ${p}`);
      }
      if (problems.length > 0) setExitCode(ExitCode.FINDINGS);
    });
}
