/** What one in-process run of the command line returned and printed. */
export interface CliRun {
  /** The exit code `main` returned (or `reportError` gave for what it threw). */
  readonly code: number;
  /** What it wrote to stdout (`process.stdout.write` and `console.log`). */
  readonly out: string;
  /** What it wrote to stderr (`process.stderr.write` and `console.error`). */
  readonly err: string;
}

/**
 * Runs the command line (`stacks/cli/main.ts`) in-process, as `npx mesh <argv>` would, capturing what it prints
 * instead of letting it reach the test's output. The module is loaded on the first call, so a test file that
 * imports this helper but does not run the command line does not load it.
 */
export function runCli(argv: readonly string[]): CliRun {
  const { main, reportError } = require('../../stacks/cli/main') as typeof import('../../stacks/cli/main');
  const out: string[] = [];
  const err: string[] = [];
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation((c: any) => (out.push(String(c)), true)),
    jest.spyOn(process.stderr, 'write').mockImplementation((c: any) => (err.push(String(c)), true)),
    jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(`${a.join(' ')}\n`)),
    jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(`${a.join(' ')}\n`)),
  ];
  let code: number;
  try {
    code = main([...argv]);
  } catch (e) {
    code = reportError(e);
  } finally {
    spies.forEach((s) => s.mockRestore());
  }
  return { code: code!, out: out.join(''), err: err.join('') };
}
