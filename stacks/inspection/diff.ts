import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

/**
 * `mesh diff`: what a synth would change in an environment's Flux tree, per Kubernetes object rather than per
 * file: an object that moves between files or is merely re-formatted is not reported as removed and added.
 */

/** One object (or non-object document) of a Flux tree. */
interface TreeEntry {
  /** How it is told apart: API group, kind, namespace and name; `<file>#<n>` for documents without a name. */
  readonly key: string;
  /** How it is shown: `VirtualService demo/httpbin`. */
  readonly label: string;
  /** The file it is in, relative to the environment folder. */
  readonly file: string;
  /** Its canonical YAML (re-serialized, so formatting-only differences vanish). */
  readonly text: string;
}

/** A change to one object. */
export interface ObjectChange {
  readonly status: 'added' | 'removed' | 'changed';
  /** `VirtualService demo/httpbin`, or the file for documents that are not named objects. */
  readonly label: string;
  /** The file it is in after the change (before, for a removed object). */
  readonly file: string;
  /** For a changed object in another file: where it was. */
  readonly movedFrom?: string;
  /** Unified diff lines of its YAML (`@@` hunk headers, then lines starting with ' ', '-' or '+'); empty unless changed. */
  readonly diff: readonly string[];
}

function entriesOf(files: ReadonlyMap<string, string>): Map<string, TreeEntry> {
  const entries = new Map<string, TreeEntry>();
  for (const [file, content] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!/\.ya?ml$/.test(file)) {
      entries.set(`file ${file}`, { key: `file ${file}`, label: file, file, text: content });
      continue;
    }
    parseAllDocuments(content).forEach((doc, i) => {
      const o = doc.toJS() as { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } } | null;
      if (o === null || o === undefined) return;
      const text = stringify(o, { lineWidth: 0 });
      const name = o.metadata?.name;
      if (typeof o.kind === 'string' && typeof name === 'string') {
        const group = o.apiVersion?.includes('/') ? o.apiVersion.split('/')[0] : 'core';
        const ns = o.metadata?.namespace;
        const key = `${group} ${o.kind} ${ns ?? ''}/${name}`;
        entries.set(key, { key, label: `${o.kind} ${ns ? `${ns}/` : ''}${name}`, file, text });
      } else {
        const key = `${file}#${i}`;
        entries.set(key, { key, label: `${o.kind ?? 'document'} in ${file}`, file, text });
      }
    });
  }
  return entries;
}

/**
 * The differences between two Flux trees of one environment (file contents keyed by path relative to
 * `dist/<env>/`), per object, in file then object order; empty when they hold the same objects.
 */
export function diffTrees(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>, context = 3): ObjectChange[] {
  const was = entriesOf(before);
  const now = entriesOf(after);
  const changes: ObjectChange[] = [];
  for (const [key, e] of now) {
    const old = was.get(key);
    if (!old) changes.push({ status: 'added', label: e.label, file: e.file, diff: [] });
    else if (old.text !== e.text || old.file !== e.file)
      changes.push({
        status: 'changed',
        label: e.label,
        file: e.file,
        movedFrom: old.file !== e.file ? old.file : undefined,
        diff: unifiedDiff(old.text, e.text, context),
      });
  }
  for (const [key, e] of was) if (!now.has(key)) changes.push({ status: 'removed', label: e.label, file: e.file, diff: [] });
  return changes.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/** Line edit script by longest common subsequence, after trimming the common head and tail. */
function editScript(a: readonly string[], b: readonly string[]): { op: ' ' | '-' | '+'; line: string; ai: number; bi: number }[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  const ops: { op: ' ' | '-' | '+'; line: string; ai: number; bi: number }[] = [];
  for (let i = 0; i < head; i++) ops.push({ op: ' ', line: a[i], ai: i, bi: i });
  const n = am.length;
  const m = bm.length;
  if (n * m > 4_000_000) {
    // Too large to align line by line: everything in between is replaced.
    am.forEach((line, i) => ops.push({ op: '-', line, ai: head + i, bi: head }));
    bm.forEach((line, j) => ops.push({ op: '+', line, ai: head + n, bi: head + j }));
  } else {
    const lcs = new Uint32Array((n + 1) * (m + 1));
    for (let i = n - 1; i >= 0; i--)
      for (let j = m - 1; j >= 0; j--)
        lcs[i * (m + 1) + j] =
          am[i] === bm[j] ? lcs[(i + 1) * (m + 1) + j + 1] + 1 : Math.max(lcs[(i + 1) * (m + 1) + j], lcs[i * (m + 1) + j + 1]);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) ops.push({ op: ' ', line: am[i++], ai: head + i - 1, bi: head + j++ });
      else if (i < n && (j === m || lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1]))
        ops.push({ op: '-', line: am[i++], ai: head + i - 1, bi: head + j });
      else ops.push({ op: '+', line: bm[j++], ai: head + i, bi: head + j - 1 });
    }
  }
  for (let k = 0; k < tail; k++) ops.push({ op: ' ', line: a[a.length - tail + k], ai: a.length - tail + k, bi: b.length - tail + k });
  return ops;
}

/** A unified diff of two texts: hunks with `context` unchanged lines around each change. */
export function unifiedDiff(before: string, after: string, context = 3): string[] {
  const split = (t: string) => (t.endsWith('\n') ? t.slice(0, -1) : t).split('\n');
  const ops = editScript(split(before), split(after));
  const out: string[] = [];
  let k = 0;
  while (k < ops.length) {
    if (ops[k].op === ' ') {
      k++;
      continue;
    }
    const start = Math.max(0, k - context);
    // The hunk runs on while the next change is within 2 * context unchanged lines of the last one.
    let last = k;
    for (let j = k + 1; j < ops.length && j - last <= 2 * context; j++) if (ops[j].op !== ' ') last = j;
    const end = Math.min(ops.length, last + 1 + context);
    const hunk = ops.slice(start, end);
    const aCount = hunk.filter((o) => o.op !== '+').length;
    const bCount = hunk.filter((o) => o.op !== '-').length;
    out.push(`@@ -${hunk[0].ai + 1},${aCount} +${hunk[0].bi + 1},${bCount} @@`);
    for (const o of hunk) out.push(`${o.op}${o.line}`);
    k = end;
  }
  return out;
}

const COLOURS = { red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', cyan: '\x1b[36m', bold: '\x1b[1m', reset: '\x1b[0m' };

/** The changes as text for a terminal; `colour` adds ANSI colours (red removed, green added, yellow changed). */
export function formatChanges(changes: readonly ObjectChange[], options: { colour: boolean }): string {
  const c = (code: keyof typeof COLOURS, s: string) => (options.colour ? `${COLOURS[code]}${s}${COLOURS.reset}` : s);
  if (changes.length === 0) return 'no changes\n';
  const lines: string[] = [];
  const sign = { added: '+', removed: '-', changed: '~' } as const;
  const colourOf = { added: 'green', removed: 'red', changed: 'yellow' } as const;
  for (const ch of changes) {
    const moved = ch.movedFrom ? ` (moved from ${ch.movedFrom})` : '';
    lines.push(c(colourOf[ch.status], `${sign[ch.status]} ${ch.status.padEnd(7)} ${c('bold', ch.label)}`) + `  ${ch.file}${moved}`);
    for (const d of ch.diff) {
      const colour = d.startsWith('@@') ? 'cyan' : d.startsWith('+') ? 'green' : d.startsWith('-') ? 'red' : undefined;
      lines.push(`    ${colour ? c(colour, d) : d}`);
    }
  }
  const count = (s: ObjectChange['status']) => changes.filter((ch) => ch.status === s).length;
  lines.push(`${count('changed')} changed, ${count('added')} added, ${count('removed')} removed`);
  return lines.join('\n') + '\n';
}

/** Whether to colour output on this stream: a terminal, and NO_COLOR unset or empty (https://no-color.org). */
export function useColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return !!stream.isTTY && !env.NO_COLOR;
}

/** A `--against` that cannot be read: a usage error. */
export class DiffSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiffSourceError';
  }
}

/** Every file of a folder, keyed by path relative to it (posix separators). */
export function readFolder(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) files.set(path.relative(dir, p).split(path.sep).join('/'), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return files;
}

/** The files of `folder` (relative to the repository root) at a Git ref, keyed by path relative to the folder. */
export function readAtRef(repoDir: string, ref: string, folder: string): Map<string, string> {
  const run = (args: string[]) =>
    execFileSync('git', args, { cwd: repoDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  try {
    run(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new DiffSourceError(
      `--against '${ref}' is neither a folder nor a Git ref of ${repoDir}; give a commit, branch or tag (e.g. HEAD~1)`,
    );
  }
  const dir = folder.replace(/^\.\//, '').replace(/\/+$/, '');
  const names = run(['ls-tree', '-r', '-z', '--name-only', '--full-tree', ref, '--', `${dir}/`])
    .split('\0')
    .filter((f) => f !== '');
  return new Map(names.map((f) => [path.posix.relative(dir, f), run(['show', `${ref}:${f}`])]));
}
