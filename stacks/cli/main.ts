#!/usr/bin/env node
import { Command } from 'commander';
import { registerAccessCommands } from './access-command';
import { registerAnalyzeCommand } from './analyze';
import { defaultConfigDir, EXIT_CODES_HELP, ExitCode, packageVersion, takeExitCode } from './context';
import { registerExplainCommands, registerSynthCommand } from './synth';
import { registerPublishCommand } from './publish';
import { registerDiffCommand } from './diff';
import { registerGraphCommand } from './graph';
import { registerFootprintCommand } from '../bench/footprint-command';

/**
 * The `mesh` command line. Each command is registered by its own module, and loads what it needs only when
 * it runs, so `mesh --help` answers at once. Problems are printed one per line, never as a stack trace
 * (set MESH_DEBUG=1 to see one).
 * @returns the exit code: 0 ok, 1 findings (an analyzer error, a DENY), 2 a usage or configuration error
 */
export function main(argv: readonly string[]): number {
  const configDir = defaultConfigDir();
  const program = new Command('mesh')
    .description('Istio service mesh platform: one model, delivered by Flux or Pulumi')
    .version(packageVersion(), '-v, --version')
    .showHelpAfterError()
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride();
  // Subcommands inherit the exit override (commander copies settings when a command is added).
  registerSynthCommand(program, configDir);
  registerAnalyzeCommand(program, configDir);
  registerExplainCommands(program, configDir);
  registerAccessCommands(program, configDir);
  registerPublishCommand(program, configDir);
  registerDiffCommand(program, configDir);
  registerGraphCommand(program, configDir);
  registerFootprintCommand(program, configDir);
  takeExitCode();
  program.parse([...argv], { from: 'user' });
  return takeExitCode();
}

/** The exit code of an error thrown by a command, after printing it (one line per problem). */
export function reportError(e: unknown): number {
  const err = e as { code?: string; exitCode?: number; name?: string; problems?: string[]; findingsOnly?: boolean; findings?: unknown };
  // commander has printed its own message (or the help, or the version, with exit code 0).
  if (typeof err.code === 'string' && err.code.startsWith('commander.')) return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
  const problems = err.name === 'SynthError' && err.problems ? err.problems : [e instanceof Error ? e.message : String(e)];
  for (const p of problems) for (const line of p.split('\n')) console.error(`error: ${line}`);
  if (process.env.MESH_DEBUG && e instanceof Error) console.error(e.stack);
  if (err.name === 'SynthError') return err.findingsOnly ? ExitCode.FINDINGS : ExitCode.USAGE;
  return err.findings ? ExitCode.FINDINGS : ExitCode.USAGE;
}

if (require.main === module) {
  let code: number;
  try {
    code = main(process.argv.slice(2));
  } catch (e) {
    code = reportError(e);
  }
  process.exitCode = code;
}
