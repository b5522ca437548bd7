import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Exit codes of `mesh`, the same for every command (README, "The mesh command"):
 * 0 nothing to report, 1 findings (an analyzer error, a DENY), 2 a usage or configuration error.
 */
export const ExitCode = { OK: 0, FINDINGS: 1, USAGE: 2 } as const;

/** The help text's footer listing {@link ExitCode}. */
export const EXIT_CODES_HELP =
  '\nExit codes:\n  0  ok\n  1  findings: an analyzer error, a DENY (access check)\n  2  usage or configuration error\n';

/** A wrong use of the command line (a bad flag value): exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

let pendingExitCode: number = ExitCode.OK;

/** Records the exit code of the command that runs (e.g. 1 for a DENY); the highest one wins. */
export function setExitCode(code: number): void {
  pendingExitCode = Math.max(pendingExitCode, code);
}

/** The recorded exit code, reset for the next run. */
export function takeExitCode(): number {
  const code = pendingExitCode;
  pendingExitCode = ExitCode.OK;
  return code;
}

/** The folder of this package's package.json (from stacks/cli in the sources, lib/stacks/cli compiled). */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === 'mesh-platform')
      return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '..', '..');
  }
}

/** This package's version, from its package.json. */
export function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Where `Pulumi.<env>.yaml` files are read from by default: the working directory when it holds a
 * Pulumi project (Pulumi.yaml or a Pulumi.<env>.yaml), else this package's root (the repository when run
 * from a checkout or through npm scripts).
 */
export function defaultConfigDir(cwd: string = process.cwd()): string {
  const isProject = (dir: string) => {
    try {
      return fs.readdirSync(dir).some((f) => f === 'Pulumi.yaml' || /^Pulumi\.[^.]+\.ya?ml$/.test(f));
    } catch {
      return false;
    }
  };
  return isProject(cwd) ? cwd : packageRoot();
}

/** Writes a value as indented JSON and a new line. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
