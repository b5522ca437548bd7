import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { UsageError } from './context';

/** Options of `mesh graph`. */
export interface GraphCommandOptions {
  readonly env: string;
  readonly configDir: string;
  /**
   * `mermaid` (a flowchart, text) or `svg` (laid out with elkjs).
   * @default 'mermaid'
   */
  readonly format?: string;
  /**
   * Where to write it.
   * @default - standard output
   */
  readonly out?: string;
}

/** Renders the environment's topology in the chosen format. */
export async function renderGraph(opts: GraphCommandOptions): Promise<string> {
  const format = opts.format ?? 'mermaid';
  if (format !== 'mermaid' && format !== 'svg') throw new UsageError(`--format ${format} is not supported; use svg or mermaid`);
  const configFile = path.join(opts.configDir, `Pulumi.${opts.env}.yaml`);
  if (!fs.existsSync(configFile)) throw new UsageError(`--env ${opts.env}: no ${path.basename(configFile)} in ${opts.configDir}`);
  const { loadEnvironmentFile } = require('../environments') as typeof import('../environments');
  const { buildPlatform } = require('../composition/platform') as typeof import('../composition/platform');
  const { renderCharts } = require('../engines/render') as typeof import('../engines/render');
  const { meshGraph, toMermaid, toSvg } = require('../inspection/graph') as typeof import('../inspection/graph');
  const graph = meshGraph(renderCharts(buildPlatform(loadEnvironmentFile(configFile))).flatMap((c) => c.objects));
  return format === 'svg' ? toSvg(graph) : toMermaid(graph);
}

/** Registers `mesh graph` on the program. */
export function registerGraphCommand(program: Command, configDir: string): void {
  program
    .command('graph')
    .description('the service topology: namespaces, declared calls, gateway routes, canaries, external services')
    .requiredOption('-e, --env <name>', 'the environment (Pulumi.<env>.yaml)')
    .option('-f, --format <format>', 'svg or mermaid', 'mermaid')
    .option('-o, --out <file>', 'write to this file (default: standard output)')
    .option('-c, --config-dir <dir>', 'folder of the Pulumi.<env>.yaml files', configDir)
    .action(async (opts: GraphCommandOptions) => {
      // The layout engine answers asynchronously: errors are reported here, as the command line would.
      try {
        const text = await renderGraph({ ...opts, configDir: path.resolve(opts.configDir) });
        if (opts.out) fs.writeFileSync(opts.out, text);
        else process.stdout.write(text);
      } catch (e) {
        console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
        process.exitCode = 2;
      }
    });
}
