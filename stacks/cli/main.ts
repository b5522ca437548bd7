#!/usr/bin/env node
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { registerAccessCommands } from './access';
import { registerPublishCommand } from './publish';
import { explainEnvironment } from '../inspection/explain';
import { SynthError, synthesize } from '../engines/gitops/synth';

/**
 * The command line: `mesh synth [--env <name>...]`. Problems are printed one per line, never as a
 * stack trace (set MESH_DEBUG=1 to see one), and the exit code is 1.
 */
export function main(argv: readonly string[]): void {
  const root = path.resolve(__dirname, '..', '..');
  const program = new Command('mesh').description('Istio service mesh platform: one model, delivered by Flux or Pulumi').exitOverride();
  program
    .command('synth')
    .description('synthesize environments into Flux-ready folders, atomically')
    .option('-e, --env <name...>', 'only these environments (default: every Pulumi.<env>.yaml)')
    .option('-o, --outdir <dir>', 'output folder', path.join(root, 'dist'))
    .option('-c, --config-dir <dir>', 'folder of the Pulumi.<env>.yaml files', root)
    .action((opts: { env?: string[]; outdir: string; configDir: string }) => {
      const result = synthesize({ configDir: path.resolve(opts.configDir), outdir: path.resolve(opts.outdir), environments: opts.env });
      for (const [env, files] of result.environments)
        console.log(`${env}: ${files.length} files in ${path.relative(process.cwd(), path.join(opts.outdir, env)) || '.'}`);
      for (const [env, warnings] of result.warnings) for (const w of warnings) console.error(`warning: ${env}: ${w}`);
      // Under `cdk8s synth`, the cdk8s CLI empties its own output folder first and lists what lands there:
      // it gets a copy, while dist/ keeps the atomic swap (cdk8s.yaml points the CLI at a scratch folder).
      const cdk8sOut = process.env.CDK8S_OUTDIR && path.resolve(process.env.CDK8S_OUTDIR);
      if (cdk8sOut && cdk8sOut !== path.resolve(opts.outdir)) {
        for (const env of result.environments.keys()) fs.cpSync(path.join(opts.outdir, env), path.join(cdk8sOut, env), { recursive: true });
      }
    });
  program
    .command('explain')
    .description('explain what the mesh does with requests, read from the synthesized objects')
    .command('routes')
    .description('per host: timeouts, retries and effective timeout, connection pools, ejection, faults, weights')
    .requiredOption('-e, --env <name>', 'the environment (Pulumi.<env>.yaml)')
    .option('--host <host>', 'only this host: a Service name (httpbin), name.namespace, or a full host name')
    .option('-c, --config-dir <dir>', 'folder of the Pulumi.<env>.yaml files', root)
    .action((opts: { env: string; host?: string; configDir: string }) => {
      process.stdout.write(explainEnvironment({ configDir: path.resolve(opts.configDir), env: opts.env, host: opts.host }));
    });
  registerAccessCommands(program, root);
  registerPublishCommand(program, root);
  program.parse([...argv], { from: 'user' });
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith('commander.')) process.exit((e as { exitCode?: number }).exitCode ?? 1);
    const problems = e instanceof SynthError ? e.problems : [e instanceof Error ? e.message : String(e)];
    for (const p of problems) console.error(`error: ${p}`);
    if (process.env.MESH_DEBUG && e instanceof Error) console.error(e.stack);
    process.exit(1);
  }
}
