import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { EXIT_CODES_HELP, printJson } from './context';

/** Options of `mesh synth`. */
interface SynthCommandOptions {
  readonly env?: string[];
  readonly outdir?: string;
  readonly configDir: string;
  readonly json?: boolean;
}

/** Adds `mesh synth`. */
export function registerSynthCommand(program: Command, configDir: string): void {
  program
    .command('synth')
    .description('synthesize environments into Flux-ready folders, atomically (runs every analyzer: errors fail it)')
    .option('-e, --env <name...>', 'only these environments (default: every Pulumi.<env>.yaml)')
    .option('-o, --outdir <dir>', 'output folder (default: dist/ beside the Pulumi.<env>.yaml files)')
    .option('-c, --config-dir <dir>', 'folder of the Pulumi.<env>.yaml files', configDir)
    .option('--json', 'print what was written as JSON: { environments: { <env>: { files, warnings } } }')
    .addHelpText('after', EXIT_CODES_HELP)
    .action((opts: SynthCommandOptions) => {
      const { synthesize } = require('../engines/gitops/synth') as typeof import('../engines/gitops/synth');
      const outdir = path.resolve(opts.outdir ?? path.join(opts.configDir, 'dist'));
      const env = (e: string) => path.relative(process.cwd(), path.join(outdir, e)) || '.';
      // Progress on a terminal only: piped output (CI logs, tests) keeps one line per result or problem.
      if (!opts.json && process.stderr.isTTY) process.stderr.write(`synthesizing ${opts.env?.join(', ') ?? 'every environment'}...\n`);
      const result = synthesize({ configDir: path.resolve(opts.configDir), outdir, environments: opts.env });
      if (opts.json) {
        printJson({
          environments: Object.fromEntries(
            [...result.environments].map(([e, files]) => [e, { folder: env(e), files, warnings: result.warnings.get(e) ?? [] }]),
          ),
        });
      } else {
        for (const [e, files] of result.environments) console.log(`${e}: ${files.length} files in ${env(e)}`);
        for (const [e, warnings] of result.warnings) for (const w of warnings) console.error(`warning: ${e}: ${w}`);
      }
      // Under `cdk8s synth`, the cdk8s CLI empties its own output folder first and lists what lands there:
      // it gets a copy, while dist/ keeps the atomic swap (cdk8s.yaml points the CLI at a scratch folder).
      const cdk8sOut = process.env.CDK8S_OUTDIR && path.resolve(process.env.CDK8S_OUTDIR);
      if (cdk8sOut && cdk8sOut !== outdir) {
        for (const e of result.environments.keys()) fs.cpSync(path.join(outdir, e), path.join(cdk8sOut, e), { recursive: true });
      }
    });
}

/** Adds `mesh explain routes`. */
export function registerExplainCommands(program: Command, configDir: string): void {
  program
    .command('explain')
    .description('explain what the mesh does with requests, read from the synthesized objects')
    .addHelpText('after', EXIT_CODES_HELP)
    .command('routes')
    .description('per host: timeouts, retries and effective timeout, connection pools, ejection, faults, weights')
    .requiredOption('-e, --env <name>', 'the environment (Pulumi.<env>.yaml)')
    .option('--host <host>', 'only this host: a Service name (httpbin), name.namespace, or a full host name')
    .option('-c, --config-dir <dir>', 'folder of the Pulumi.<env>.yaml files', configDir)
    .option('--json', 'print the hosts and their routes as JSON')
    .addHelpText('after', EXIT_CODES_HELP)
    .action((opts: { env: string; host?: string; configDir: string; json?: boolean }) => {
      const explain = require('../inspection/explain') as typeof import('../inspection/explain');
      const options = { configDir: path.resolve(opts.configDir), env: opts.env, host: opts.host };
      if (!opts.json) return void process.stdout.write(explain.explainEnvironment(options));
      const { loadEnvironmentFile } = require('../environments') as typeof import('../environments');
      const { buildPlatform } = require('../composition/platform') as typeof import('../composition/platform');
      const { renderCharts } = require('../engines/render') as typeof import('../engines/render');
      const { meshWarnings } = require('../../constructs/core/errors') as typeof import('../../constructs/core/errors');
      const app = buildPlatform(loadEnvironmentFile(path.join(options.configDir, `Pulumi.${options.env}.yaml`)));
      printJson({ hosts: explain.explainRoutes(renderCharts(app), options.host), warnings: meshWarnings(app) });
    });
}
