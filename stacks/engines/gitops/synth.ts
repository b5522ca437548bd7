import * as fs from 'node:fs';
import * as path from 'node:path';
import { meshWarnings } from '../../../constructs/core/errors';
import { ConfigError, EnvironmentConfig, environmentNameOf, listEnvironmentFiles, loadEnvironmentFile } from '../../environments';
import { buildPlatform } from '../../composition/platform';
import { renderCharts, renderFluxTree } from '../render';
import { environmentSecrets, renderSecretsDoc, SECRETS_FILE } from './secrets';

/** Options of {@link synthesize}. */
export interface SynthOptions {
  /** The folder holding `Pulumi.<env>.yaml` files. */
  readonly configDir: string;
  /** Where `<env>/` folders are written. */
  readonly outdir: string;
  /**
   * Only these environments.
   * @default - every environment that has a `Pulumi.<env>.yaml`
   */
  readonly environments?: readonly string[];
}

/** What a synthesis wrote. */
export interface SynthResult {
  /** Per environment, the files written, relative to its folder. */
  readonly environments: ReadonlyMap<string, readonly string[]>;
  /** Per environment, what works but is probably not what was meant (construct path first). */
  readonly warnings: ReadonlyMap<string, readonly string[]>;
}

/** One environment's Flux tree in memory, with the warnings its constructs recorded. */
export interface EnvironmentOutput {
  /** File contents keyed by path relative to `dist/<env>/`: the layers, and {@link SECRETS_FILE} beside them. */
  readonly files: ReadonlyMap<string, string>;
  /** Warnings, construct path first. */
  readonly warnings: readonly string[];
}

/** Every problem found while loading and building, one line each. */
export class SynthError extends Error {
  /**
   * @param problems one line each
   * @param findingsOnly every problem is an analyzer's finding (the CLI exits 1), not a configuration error (2)
   */
  constructor(
    readonly problems: readonly string[],
    readonly findingsOnly: boolean = false,
  ) {
    super(problems.join('\n'));
    this.name = 'SynthError';
  }
}

/**
 * Builds one environment's Flux tree in memory, with the list of the Secrets it reads
 * (`SECRETS.md`, at the root of the environment's folder: in no layer, so Flux never applies it).
 */
export function synthesizeEnvironment(config: EnvironmentConfig): EnvironmentOutput {
  const app = buildPlatform(config);
  const files = renderFluxTree(renderCharts(app));
  files.set(SECRETS_FILE, renderSecretsDoc(config.name, environmentSecrets(app)));
  return { files, warnings: meshWarnings(app) };
}

/**
 * Synthesizes environments into `<outdir>/<env>/`, atomically: every environment is loaded, built and
 * rendered in memory first, and only when all succeed is anything written. Each environment folder
 * is then replaced by a rename, so a failed synth leaves the previous output exactly as it was.
 */
export function synthesize(options: SynthOptions): SynthResult {
  const available = listEnvironmentFiles(options.configDir);
  const names = available.map(environmentNameOf);
  const wanted = options.environments ?? names;
  const problems: string[] = [];
  for (const env of wanted) {
    if (!names.includes(env))
      problems.push(`environment '${env}' has no Pulumi.${env}.yaml in ${options.configDir}; environments: ${names.join(', ') || 'none'}`);
  }
  if (wanted.length === 0) problems.push(`no Pulumi.<env>.yaml in ${options.configDir}; create one per environment`);
  const rendered = new Map<string, EnvironmentOutput>();
  let configProblems = problems.length > 0;
  for (const file of available.filter((f) => wanted.includes(environmentNameOf(f)))) {
    try {
      rendered.set(environmentNameOf(file), synthesizeEnvironment(loadEnvironmentFile(file)));
    } catch (e) {
      if (e instanceof ConfigError) problems.push(...e.problems);
      else if (e instanceof Error && e.name === 'MeshValidationError')
        problems.push(...e.message.split('\n').map((l) => `${environmentNameOf(file)}: ${l}`));
      else throw e;
      // An analyzer's findings (AnalysisError) are findings; anything else is a configuration error.
      if (!(e instanceof Error && 'findings' in e)) configProblems = true;
    }
  }
  if (problems.length > 0) throw new SynthError(problems, !configProblems);

  fs.mkdirSync(options.outdir, { recursive: true });
  for (const [env, output] of rendered) replaceFolder(path.join(options.outdir, env), output.files);
  return {
    environments: new Map([...rendered].map(([env, output]) => [env, [...output.files.keys()]])),
    warnings: new Map([...rendered].map(([env, output]) => [env, output.warnings])),
  };
}

/** Writes `files` into a sibling temporary folder, then swaps it in place of `target` by renames. */
function replaceFolder(target: string, files: ReadonlyMap<string, string>): void {
  const parent = path.dirname(target);
  const base = path.basename(target);
  const staging = path.join(parent, `.${base}.new-${process.pid}`);
  const previous = path.join(parent, `.${base}.old-${process.pid}`);
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    for (const [relative, content] of files) {
      const file = path.join(staging, relative);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    }
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  const hadPrevious = fs.existsSync(target);
  if (hadPrevious) fs.renameSync(target, previous);
  try {
    fs.renameSync(staging, target);
  } catch (e) {
    if (hadPrevious) fs.renameSync(previous, target);
    throw e;
  }
  fs.rmSync(previous, { recursive: true, force: true });
}
