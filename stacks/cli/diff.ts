import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import type { ObjectChange } from '../inspection/diff';
import { EXIT_CODES_HELP, setExitCode } from './context';

/** Options of `mesh diff`. */
export interface DiffCommandOptions {
  readonly env: string;
  /** The folder of the `Pulumi.<env>.yaml` files, inside the Git repository that commits dist/. */
  readonly configDir: string;
  /**
   * A Git ref whose committed `dist/<env>` to compare with, or a folder (the environment's folder, or a
   * folder holding `<env>/`).
   * @default 'HEAD' - the committed dist/<env>
   */
  readonly against?: string;
  /**
   * Whether to colour the output.
   * @default - on a terminal unless NO_COLOR is set
   */
  readonly colour?: boolean;
  /**
   * Print the changes as JSON (`{ changes: [{ status, label, file, movedFrom?, diff }] }`) instead of text.
   * @default false
   */
  readonly json?: boolean;
}

/**
 * Compares a fresh in-memory synth of the environment with what is committed (or in a folder) and writes the
 * changes per object. Returns the exit code: 0 no changes, 1 changes, 2 a usage error (unknown environment,
 * unreadable `--against`), printed on stderr.
 */
export function runDiff(
  opts: DiffCommandOptions,
  out: { write(s: string): unknown } = process.stdout,
  err: { write(s: string): unknown } = process.stderr,
): number {
  const { diffTrees, DiffSourceError, formatChanges, readAtRef, readFolder, useColour } =
    require('../inspection/diff') as typeof import('../inspection/diff');
  const { loadEnvironmentFile } = require('../environments') as typeof import('../environments');
  const { synthesizeEnvironment } = require('../engines/gitops/synth') as typeof import('../engines/gitops/synth');
  const configFile = path.join(opts.configDir, `Pulumi.${opts.env}.yaml`);
  try {
    if (!fs.existsSync(configFile)) throw new DiffSourceError(`--env ${opts.env}: no ${path.basename(configFile)} in ${opts.configDir}`);
    const config = loadEnvironmentFile(configFile);
    const folder = config.gitops?.path ?? `dist/${config.name}`;
    const against = opts.against ?? 'HEAD';
    let before: Map<string, string>;
    if (fs.existsSync(against) && fs.statSync(against).isDirectory()) {
      const nested = path.join(against, opts.env);
      before = readFolder(fs.existsSync(nested) && fs.statSync(nested).isDirectory() ? nested : against);
    } else before = readAtRef(opts.configDir, against, folder);
    const changes: ObjectChange[] = diffTrees(before, synthesizeEnvironment(config).files);
    if (opts.json) out.write(`${JSON.stringify({ changes }, null, 2)}\n`);
    else out.write(formatChanges(changes, { colour: opts.colour ?? useColour(process.stdout) }));
    return changes.length > 0 ? 1 : 0;
  } catch (e) {
    if (!(e instanceof DiffSourceError)) throw e;
    err.write(`error: ${e.message}\n`);
    return 2;
  }
}

/** Registers `mesh diff` on the program. */
export function registerDiffCommand(program: Command, configDir: string): void {
  program
    .command('diff')
    .description('what a synth would change in an environment, per object (exit 1 when something changes)')
    .requiredOption('-e, --env <name>', 'the environment (Pulumi.<env>.yaml)')
    .option('--against <ref or folder>', 'a Git ref whose committed dist/<env> to compare with, or a folder', 'HEAD')
    .option('-c, --config-dir <dir>', 'folder of the Pulumi.<env>.yaml files', configDir)
    .option('--json', 'print the changes as JSON: { changes: [{ status, label, file, movedFrom, diff }] }')
    .addHelpText('after', EXIT_CODES_HELP.replace('findings: an analyzer error, a DENY (access check)', 'the synth would change something'))
    .action((opts: { env: string; against: string; configDir: string; json?: boolean }) => {
      setExitCode(runDiff({ ...opts, configDir: path.resolve(opts.configDir) }));
    });
}
