import * as fs from 'node:fs';
import * as path from 'node:path';
import { meshWarnings } from '../../../constructs/core/errors';
import { ConfigError, EnvironmentConfig, environmentNameOf, listEnvironmentFiles, loadEnvironmentFile } from '../../environments';
import { buildPlatform } from '../../composition/platform';
import { KubeObject, renderCharts, renderFluxTree } from '../render';
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
  /**
   * How long to wait for another synth writing into the same outdir (runs are serialized by a lock file).
   * @default 120000
   */
  readonly lockTimeoutMs?: number;
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
  const charts = renderCharts(app);
  const tooLarge = objectSizeProblems(charts.flatMap((c) => c.objects));
  if (tooLarge.length > 0) throw new ConfigError(tooLarge.map((p) => `${config.name}: ${p}`));
  const files = renderFluxTree(charts);
  files.set(SECRETS_FILE, renderSecretsDoc(config.name, environmentSecrets(app)));
  return { files, warnings: meshWarnings(app) };
}

/** The largest object the API server stores (etcd's default request limit, 1.5 MiB). */
export const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;

/**
 * Objects above {@link MAX_OBJECT_BYTES} as JSON (what the API server stores), one line each naming the object, its
 * size and its longest string field (where a configuration value too large for Kubernetes usually went).
 */
export function objectSizeProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  for (const o of objects) {
    const size = Buffer.byteLength(JSON.stringify(o));
    if (size <= MAX_OBJECT_BYTES) continue;
    let longest = { at: '', length: 0 };
    const walk = (v: unknown, at: string) => {
      if (typeof v === 'string' && v.length > longest.length) longest = { at, length: v.length };
      else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}[${i}]`));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, at ? `${at}.${k}` : k);
    };
    walk(o, '');
    problems.push(
      `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name} is ${size} bytes, above the ${MAX_OBJECT_BYTES} bytes (1.5 MiB) Kubernetes stores in one object; its longest value is ${longest.at} (${longest.length} chars): shorten the configuration value that fills it`,
    );
  }
  return problems;
}

/**
 * Synthesizes environments into `<outdir>/<env>/`, atomically: every environment is loaded, built and
 * rendered in memory first, and only when all succeed is anything written, so a failed synth leaves the previous
 * output exactly as it was. The environments of one run replace their folders all or nothing (staged, then swapped
 * under a journal; see {@link recoverOutdir}), and concurrent runs on one outdir are serialized by a lock file
 * ({@link LOCK_FILE}; a dead holder's lock is taken over).
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
  const release = acquireLock(options.outdir, options.lockTimeoutMs ?? 120_000);
  try {
    recoverOutdir(options.outdir);
    replaceFolders(options.outdir, rendered);
  } finally {
    release();
  }
  return {
    environments: new Map([...rendered].map(([env, output]) => [env, [...output.files.keys()]])),
    warnings: new Map([...rendered].map(([env, output]) => [env, output.warnings])),
  };
}

/** The lock file of an output folder: held (created with O_EXCL, holding the PID) while a synth writes into it. */
export const LOCK_FILE = '.synth.lock';
/** The journal of a swap in progress: the environments whose staged folders are complete and being swapped in. */
export const JOURNAL_FILE = '.synth.journal';
/** Staged and replaced folders of a run: `.<env>.new-<pid>` and `.<env>.old-<pid>`. */
const TEMP_FOLDER = /^\.(.+)\.(new|old)-(\d+)$/;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Takes the output folder's lock, waiting while another live synth holds it (concurrent runs are serialized); a
 * lock whose PID is dead (a killed synth) is taken over.
 * @returns the release function
 */
function acquireLock(outdir: string, timeoutMs: number): () => void {
  const lock = path.join(outdir, LOCK_FILE);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = fs.openSync(lock, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => fs.rmSync(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder = NaN;
    try {
      holder = Number(fs.readFileSync(lock, 'utf8'));
    } catch {
      continue; // released meanwhile
    }
    // A lock just created may not hold its PID yet; an empty or dead one is stale once it is a second old.
    const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if ((Number.isInteger(holder) && holder > 0 && !processAlive(holder)) || (!(holder > 0) && age > 1000)) {
      fs.rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new SynthError([
        `${lock}: another synth (PID ${holder}) is writing ${outdir}; wait for it, or remove the lock if that process is not a synth`,
      ]);
    }
    sleep(100);
  }
}

/**
 * Completes or discards what an interrupted synth left in `outdir` (call with the lock held): a swap recorded in
 * the journal is rolled forward, so that every environment of that run is in place; then every staged or replaced
 * temporary folder is removed. Afterwards `outdir` holds complete environments of one run and no temporary folder.
 */
export function recoverOutdir(outdir: string): void {
  const journal = path.join(outdir, JOURNAL_FILE);
  if (fs.existsSync(journal)) {
    const { pid, environments } = JSON.parse(fs.readFileSync(journal, 'utf8')) as { pid: number; environments: string[] };
    for (const env of environments) {
      const target = path.join(outdir, env);
      const staging = path.join(outdir, `.${env}.new-${pid}`);
      const previous = path.join(outdir, `.${env}.old-${pid}`);
      if (!fs.existsSync(staging)) continue; // already swapped in
      if (fs.existsSync(target)) {
        fs.rmSync(previous, { recursive: true, force: true });
        fs.renameSync(target, previous);
      }
      fs.renameSync(staging, target);
    }
    fs.rmSync(journal, { force: true });
  }
  for (const entry of fs.readdirSync(outdir)) {
    if (TEMP_FOLDER.test(entry) || entry === `${JOURNAL_FILE}.tmp`) fs.rmSync(path.join(outdir, entry), { recursive: true, force: true });
  }
}

/**
 * Replaces the folders of every rendered environment, all or nothing (call with the lock held): every environment is
 * written to a staging folder first; then a journal naming them is written (by a rename, so it is complete or
 * absent) and the folders are swapped in. Killed before the journal exists, the previous output is intact; killed
 * after, the next run rolls the swap forward ({@link recoverOutdir}).
 */
function replaceFolders(outdir: string, rendered: ReadonlyMap<string, EnvironmentOutput>): void {
  const staged = (env: string) => path.join(outdir, `.${env}.new-${process.pid}`);
  try {
    for (const [env, output] of rendered) {
      for (const [relative, content] of output.files) {
        const file = path.join(staged(env), relative);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, content);
      }
    }
  } catch (e) {
    for (const env of rendered.keys()) fs.rmSync(staged(env), { recursive: true, force: true });
    throw e;
  }
  const journal = path.join(outdir, JOURNAL_FILE);
  fs.writeFileSync(`${journal}.tmp`, JSON.stringify({ pid: process.pid, environments: [...rendered.keys()] }));
  fs.renameSync(`${journal}.tmp`, journal);
  recoverOutdir(outdir);
}
