import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import type { KubeObject } from '../../constructs/core/kube-object';
import type { AnalysisInput } from '../analysis/analyzer';
import type { AnalysisResult } from '../analysis/registry';
import { EXIT_CODES_HELP, ExitCode, printJson, setExitCode, UsageError } from './context';

/** Options of `mesh analyze`. */
export interface AnalyzeCommandOptions {
  /** The environment to build and analyze (`Pulumi.<env>.yaml`). */
  readonly env?: string;
  /** A synthesized folder to analyze instead (e.g. dist/dev). */
  readonly dir?: string;
  /** The folder of the `Pulumi.<env>.yaml` files. */
  readonly configDir: string;
  /** Only these codes. */
  readonly code?: string[];
  readonly json?: boolean;
}

/** Every object of the YAML files under `dir` (kustomization.yaml files excepted). */
export function objectsOfFolder(dir: string): KubeObject[] {
  const YAML = require('yaml') as typeof import('yaml');
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`--dir ${dir}: no such folder`);
  const files = (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => /\.ya?ml$/.test(f) && path.basename(f) !== 'kustomization.yaml')
    .sort();
  return files.flatMap((f) =>
    YAML.parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8'))
      .map((d) => d.toJS() as KubeObject | null)
      .filter((o): o is KubeObject => !!o && typeof o === 'object' && typeof o.kind === 'string' && !!o.metadata),
  );
}

/** Analyzes an environment (built from its config, with its construct tree) or a synthesized folder. */
export function analyzeTarget(opts: AnalyzeCommandOptions): AnalysisResult {
  if (!opts.env === !opts.dir) throw new UsageError('analyze needs exactly one of --env <name> or --dir <folder>');
  const { analyze } = require('../analysis/registry') as typeof import('../analysis/registry');
  let input: AnalysisInput;
  if (opts.dir) input = { objects: objectsOfFolder(path.resolve(opts.dir)) };
  else {
    const { loadEnvironmentFile } = require('../environments') as typeof import('../environments');
    const { buildPlatform } = require('../composition/platform') as typeof import('../composition/platform');
    const { renderCharts } = require('../engines/render') as typeof import('../engines/render');
    const app = buildPlatform(loadEnvironmentFile(path.join(opts.configDir, `Pulumi.${opts.env}.yaml`)));
    const charts = renderCharts(app, { analysis: false });
    input = { app, charts, objects: charts.flatMap((c) => c.objects) };
  }
  return analyze(input, { codes: opts.code });
}

/** The report as text: one line per finding, the ignored ones with their reasons, a summary. */
export function formatAnalysis(result: AnalysisResult): string {
  const { formatFinding } = require('../analysis/registry') as typeof import('../analysis/registry');
  const lines = result.findings.map(formatFinding);
  for (const f of result.ignored) lines.push(`ignored [${f.code}] ${f.object}: ${f.reason}`);
  for (const s of result.skipped) lines.push(`skipped ${s}: it needs the environment's construct tree (use --env)`);
  const errors = result.findings.filter((f) => f.severity === 'error').length;
  lines.push(
    errors + result.findings.length === 0 ? 'no problems found' : `${errors} error(s), ${result.findings.length - errors} warning(s)`,
  );
  return `${lines.join('\n')}\n`;
}

/** One line per analyzer, `CODE Name (severity): what it checks`, by code (the registry is loaded only when asked for). */
export function analyzerCatalog(): string {
  const { ANALYZERS, INVALID_IGNORE_CODE } = require('../analysis/registry') as typeof import('../analysis/registry');
  return [
    ...[...ANALYZERS]
      .sort((a, b) => a.code.localeCompare(b.code))
      .map((a) => `  ${a.code} ${a.name} (${a.severity}${a.needsApp ? ', needs --env' : ''}): ${a.description}`),
    `  ${INVALID_IGNORE_CODE} InvalidAnalyzeIgnore (error): every entry of the ignore annotation is CODE=reason`,
  ].join('\n');
}

/** Adds `mesh analyze`. */
export function registerAnalyzeCommand(program: Command, configDir: string): void {
  program
    .command('analyze')
    .description('check the whole mesh offline, like istioctl analyze: one analyzer per rule, each with a stable code')
    .option('-e, --env <name>', 'the environment to build and analyze (Pulumi.<env>.yaml)')
    .option('-d, --dir <folder>', 'a synthesized folder to analyze instead, e.g. dist/dev (the layering analyzers need --env)')
    .option('--code <code...>', 'only these analyzer codes, e.g. IST0101 MESH0006')
    .option('-c, --config-dir <dir>', 'folder of the Pulumi.<env>.yaml files', configDir)
    .option('--json', 'print the findings as JSON: { findings, ignored, skipped }')
    .addHelpText('after', () => `\nAnalyzers:\n${analyzerCatalog()}`)
    .addHelpText(
      'after',
      '\nOpt an object out of one code with a reason: annotation mesh.platform/analyze-ignore: "IST0101=<reason>; MESH0006=<reason>".\n' +
        'Errors exit 1 (and fail the synth); warnings are printed and exit 0.\n' +
        EXIT_CODES_HELP,
    )
    .action((opts: AnalyzeCommandOptions) => {
      const result = analyzeTarget({ ...opts, configDir: path.resolve(opts.configDir) });
      if (opts.json) printJson(result);
      else process.stdout.write(formatAnalysis(result));
      if (result.findings.some((f) => f.severity === 'error')) setExitCode(ExitCode.FINDINGS);
    });
}
