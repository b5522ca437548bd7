#!/usr/bin/env node
// Compiles the project to lib/ (`tsc -p tsconfig.build.json`) only when lib/ is not the build of the sources as they are:
// `npm run synth` and `npm run bench` start with it, so that they run what the sources say without paying for the
// TypeScript compiler when nothing changed (its incremental no-change build takes seconds; this check, milliseconds).
//
//   node scripts/build-if-stale.js            compile when lib/ is stale
//   node scripts/build-if-stale.js --always   compile in any case (`npm run build`, `prepare`), and stamp
//
// lib/ is up to date when a stamp written after the last successful build (lib/.build-inputs.json) lists exactly the
// inputs there are now, each with the modification time and size it had when that build started: every file under the
// `include` folders of tsconfig.build.json, tsconfig.json, tsconfig.build.json, package.json and package-lock.json.
// A changed, added, renamed or deleted file is a difference (no clock is compared, so a file saved during a build is
// seen on the next run); the compiled files of a deleted source are removed from lib/, which tsc does not do itself.
// A failed build writes no stamp and exits with tsc's code.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

/** The stamp of the last successful build, in the output folder. */
const STAMP = '.build-inputs.json';
/** Inputs besides the sources: compiler and package settings. */
const SETTINGS = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];

/** The build settings this check relies on, or the reason it cannot (then every run builds). */
function buildLayout(root) {
  let config;
  try {
    config = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8'));
  } catch (e) {
    return { unsupported: `tsconfig.build.json is not plain JSON (${e.message})` };
  }
  const include = config.include ?? [];
  const exclude = config.exclude ?? [];
  const options = config.compilerOptions ?? {};
  if ([...include, ...exclude].some((p) => /[*?]/.test(p))) return { unsupported: 'tsconfig.build.json uses glob patterns' };
  if (!options.outDir) return { unsupported: 'tsconfig.build.json has no compilerOptions.outDir' };
  return { include, exclude, outDir: options.outDir, rootDir: options.rootDir ?? '.' };
}

/** `{ 'path/relative/to/root': 'mtimeMs:size' }` of every input, sorted by path. */
function inputSnapshot(root, layout) {
  const excluded = layout.exclude.map((e) => path.resolve(root, e));
  const isExcluded = (file) => excluded.some((e) => file === e || file.startsWith(`${e}${path.sep}`));
  const snapshot = {};
  const add = (file) => {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (!stat || isExcluded(file)) return;
    if (stat.isDirectory()) for (const entry of fs.readdirSync(file)) add(path.join(file, entry));
    else snapshot[path.relative(root, file).split(path.sep).join('/')] = `${stat.mtimeMs}:${stat.size}`;
  };
  for (const p of [...layout.include, ...SETTINGS]) add(path.resolve(root, p));
  return Object.fromEntries(Object.entries(snapshot).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function readStamp(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')).inputs;
  } catch {
    return undefined;
  }
}

/**
 * Why lib/ must be rebuilt, or undefined when it is the build of the inputs as they are.
 * @param {string} root the package root (where tsconfig.build.json is)
 * @param {string} [entry] a compiled file that must exist, relative to the package root
 */
function staleReason(root, entry) {
  const layout = buildLayout(root);
  if (layout.unsupported) return layout.unsupported;
  const stamp = readStamp(path.join(root, layout.outDir, STAMP));
  if (!stamp) return `${layout.outDir}/${STAMP} is missing: no complete build yet`;
  if (entry && !fs.existsSync(path.join(root, entry))) return `${entry} is missing`;
  const now = inputSnapshot(root, layout);
  const changed = [...new Set([...Object.keys(stamp), ...Object.keys(now)])].filter((f) => stamp[f] !== now[f]);
  if (changed.length === 0) return undefined;
  const first = changed[0];
  const what = !(first in now) ? 'deleted' : !(first in stamp) ? 'added' : 'changed';
  return `${first} ${what}${changed.length > 1 ? ` (and ${changed.length - 1} more)` : ''}`;
}

/** Runs the TypeScript compiler of the package (tsc -p tsconfig.build.json); returns its exit code. */
function runTsc(root) {
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root, __dirname] });
  return spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' }).status ?? 1;
}

/**
 * Builds lib/ when it is stale ({@link staleReason}), then records what it was built from.
 * @param {string} root the package root
 * @param {{ entry?: string, compile?: (root: string) => number, quiet?: boolean, always?: boolean }} [options] a compiled
 *   file that must exist; the compiler (default: the package's tsc); no line saying why it compiles; compile even when
 *   lib/ is up to date (and stamp it)
 * @returns {{ built: boolean, reason?: string, status: number }} status: the compiler's exit code (0 when nothing ran)
 */
function buildIfStale(root, options = {}) {
  const reason = options.always ? 'asked for' : staleReason(root, options.entry);
  if (reason === undefined) return { built: false, status: 0 };
  if (!options.quiet && !options.always) process.stderr.write(`compiling to lib/: ${reason}\n`);
  const layout = buildLayout(root);
  if (layout.unsupported) return { built: true, reason, status: (options.compile ?? runTsc)(root) };
  // Taken before the compiler reads anything: a file saved while it runs differs from the stamp next time.
  const inputs = inputSnapshot(root, layout);
  const outDir = path.join(root, layout.outDir);
  const stampFile = path.join(outDir, STAMP);
  // Removed first: a failed or interrupted compilation leaves no stamp, so the next run compiles again.
  const previous = readStamp(stampFile) ?? {};
  fs.rmSync(stampFile, { force: true });
  const status = (options.compile ?? runTsc)(root);
  if (status !== 0) return { built: true, reason, status };
  // The compiled files of sources that are gone (tsc leaves them behind).
  for (const file of Object.keys(previous)) {
    if (file in inputs || !/\.tsx?$/.test(file) || /\.d\.ts$/.test(file)) continue;
    const compiled = path.join(outDir, path.relative(path.resolve(root, layout.rootDir), path.join(root, file))).replace(/\.tsx?$/, '');
    for (const ext of ['.js', '.d.ts', '.js.map']) fs.rmSync(`${compiled}${ext}`, { force: true });
  }
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(`${stampFile}.tmp`, `${JSON.stringify({ inputs }, null, 1)}\n`);
  fs.renameSync(`${stampFile}.tmp`, stampFile);
  return { built: true, reason, status };
}

module.exports = { STAMP, buildIfStale, inputSnapshot, staleReason };

if (require.main === module) {
  process.exitCode = buildIfStale(path.resolve(__dirname, '..'), { always: process.argv.includes('--always') }).status;
}
