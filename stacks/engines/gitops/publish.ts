import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** One folder of the GitOps repository that a publish owns entirely: its files are exactly `files`. */
export interface PublishTree {
  /** The environment it holds (named in the commit message). */
  readonly env: string;
  /** The folder inside the repository, relative to its root, e.g. `dist/dev` (`./` and trailing `/` allowed). */
  readonly path: string;
  /** File contents keyed by path relative to {@link path}. */
  readonly files: ReadonlyMap<string, string>;
}

/** Options of {@link publish}. */
export interface PublishOptions {
  /** The GitOps repository: a URL, a bare repository, or a local work tree (which must be clean). */
  readonly repo: string;
  /** The branch Flux reads; created when the repository does not have it yet. */
  readonly branch: string;
  /** The folders to write; nothing outside them is ever changed. */
  readonly trees: readonly PublishTree[];
  /** The revision of the source the trees were synthesized from, written into the commit message. */
  readonly sourceRevision: string;
  /**
   * How many times to fetch and redo the commit when the push is rejected because someone else pushed first.
   * @default 5
   */
  readonly attempts?: number;
}

/** What a publish did. */
export interface PublishResult {
  /** The commit pushed, or none when the repository already held exactly these trees. */
  readonly commit?: string;
  /** Per changed environment, the files added, changed and removed (relative to its folder). */
  readonly changes: ReadonlyMap<string, { added: string[]; changed: string[]; removed: string[] }>;
  /** How many pushes were tried (more than one when another publish raced this one). */
  readonly pushes: number;
}

/** A publish that cannot go ahead: the message says why and what to do. */
export class PublishError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishError';
  }
}

/** Commits author and committer used when git has no identity configured. */
const FALLBACK_IDENTITY = { name: 'mesh publish', email: 'mesh-publish@localhost' };

function git(cwd: string, args: readonly string[], env?: NodeJS.ProcessEnv): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
}

function tryGit(cwd: string, args: readonly string[], env?: NodeJS.ProcessEnv): { ok: boolean; out: string; err: string } {
  try {
    return { ok: true, out: git(cwd, args, env), err: '' };
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; message: string };
    return { ok: false, out: x.stdout ?? '', err: x.stderr || x.message };
  }
}

/** `git rev-parse HEAD` of the folder's repository, with `-dirty` when it has uncommitted changes; `unknown` outside git. */
export function sourceRevision(dir: string): string {
  const head = tryGit(dir, ['rev-parse', 'HEAD']);
  if (!head.ok) return 'unknown';
  const status = tryGit(dir, ['status', '--porcelain']);
  return `${head.out.trim()}${status.ok && status.out.trim() !== '' ? '-dirty' : ''}`;
}

/** `./dist/dev/` -> `dist/dev`; refuses paths that leave the repository or name its root. */
export function normalizeManagedPath(p: string): string {
  const n = path.posix.normalize(p.replace(/\\/g, '/')).replace(/^\.\//, '').replace(/\/+$/, '');
  if (n === '' || n === '.' || n.startsWith('..') || path.posix.isAbsolute(n) || n.split('/').includes('.git'))
    throw new PublishError(`publish path '${p}' is not a folder inside the repository; use e.g. 'dist/dev'`);
  return n;
}

/** Refuses a local work tree with uncommitted changes: publishing beside them would mix two people's work. */
function checkTarget(repo: string): void {
  if (!fs.existsSync(repo)) return; // a URL (or a path git reports as missing when cloning)
  const bare = tryGit(repo, ['rev-parse', '--is-bare-repository']);
  if (!bare.ok) throw new PublishError(`--repo '${repo}' is a folder but not a Git repository; give a clone, a bare repository or a URL`);
  if (bare.out.trim() === 'true') return;
  const status = git(repo, ['status', '--porcelain']).trim();
  if (status !== '') {
    const files = status.split('\n').slice(0, 5).join('; ');
    throw new PublishError(
      `--repo '${repo}' has uncommitted changes (${files}); commit or discard them first, or publish to its remote instead`,
    );
  }
}

function identityEnv(cwd: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (!tryGit(cwd, ['config', 'user.name']).ok && !env.GIT_AUTHOR_NAME)
    env.GIT_AUTHOR_NAME = env.GIT_COMMITTER_NAME = FALLBACK_IDENTITY.name;
  if (!tryGit(cwd, ['config', 'user.email']).ok && !env.GIT_AUTHOR_EMAIL)
    env.GIT_AUTHOR_EMAIL = env.GIT_COMMITTER_EMAIL = FALLBACK_IDENTITY.email;
  return env;
}

/** Resets the scratch clone to the remote branch (or to an empty unborn branch when the remote has none). */
function syncToRemote(work: string, branch: string): void {
  const heads = git(work, ['ls-remote', '--heads', 'origin', `refs/heads/${branch}`]).trim();
  if (heads === '') {
    git(work, ['symbolic-ref', 'HEAD', `refs/heads/${branch}`]);
    tryGit(work, ['update-ref', '-d', `refs/heads/${branch}`]);
    tryGit(work, ['rm', '-r', '-q', '--cached', '--ignore-unmatch', '.']);
    git(work, ['clean', '-fdxq']);
    return;
  }
  git(work, ['fetch', '-q', 'origin', `+refs/heads/${branch}:refs/remotes/origin/${branch}`]);
  git(work, ['checkout', '-q', '-B', branch, `refs/remotes/origin/${branch}`]);
  git(work, ['reset', '-q', '--hard', `refs/remotes/origin/${branch}`]);
  git(work, ['clean', '-fdxq']);
}

/** Makes each managed folder hold exactly its files; returns what changed, per environment. */
function writeTrees(work: string, trees: readonly PublishTree[]): Map<string, { added: string[]; changed: string[]; removed: string[] }> {
  const changes = new Map<string, { added: string[]; changed: string[]; removed: string[] }>();
  for (const tree of trees) {
    const rel = normalizeManagedPath(tree.path);
    const dir = path.join(work, rel);
    const before = new Set(
      git(work, ['ls-files', '-z', '--', `${rel}/`])
        .split('\0')
        .filter((f) => f !== '')
        .map((f) => path.posix.relative(rel, f)),
    );
    const added: string[] = [];
    const changed: string[] = [];
    const removed = [...before].filter((f) => !tree.files.has(f)).sort();
    for (const f of removed) fs.rmSync(path.join(dir, f), { force: true });
    for (const [f, content] of [...tree.files].sort(([a], [b]) => a.localeCompare(b))) {
      const file = path.join(dir, f);
      if (!path.resolve(file).startsWith(path.resolve(dir) + path.sep))
        throw new PublishError(`file '${f}' of ${tree.env} is outside its folder '${rel}'`);
      const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
      if (old === content && before.has(f)) continue;
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
      (before.has(f) ? changed : added).push(f);
    }
    git(work, ['add', '-A', '--', `${rel}/`]);
    if (added.length + changed.length + removed.length > 0) changes.set(tree.env, { added, changed, removed });
  }
  return changes;
}

function commitMessage(sourceRev: string, changes: ReadonlyMap<string, { added: string[]; changed: string[]; removed: string[] }>): string {
  const envs = [...changes.keys()];
  const lines = [`publish ${envs.join(', ')} from ${sourceRev.slice(0, 12)}`, ''];
  for (const [env, c] of changes) lines.push(`${env}: ${c.added.length} added, ${c.changed.length} changed, ${c.removed.length} removed`);
  lines.push('', `Source-Revision: ${sourceRev}`);
  return lines.join('\n') + '\n';
}

const REJECTED = /\[rejected\]|\[remote rejected\]|non-fast-forward|fetch first|failed to update ref|cannot lock ref|incorrect old value/i;

/**
 * Commits the trees into the GitOps repository on `branch`, in a scratch clone: each managed folder is made
 * to hold exactly its files (stale ones removed), everything else in the repository is left as it is, and one
 * commit records the source revision. Nothing is committed when the folders already match. When the push is
 * rejected because another publish got there first, the clone is reset to the new remote branch and the trees
 * are written again on top of it (so neither publish is lost), up to {@link PublishOptions.attempts} times.
 * A local work tree target must be clean, and it is updated in place by the push (`updateInstead`).
 */
export function publish(options: PublishOptions): PublishResult {
  if (options.trees.length === 0) throw new PublishError('nothing to publish: give at least one environment (--env)');
  const paths = options.trees.map((t) => normalizeManagedPath(t.path));
  for (const [i, p] of paths.entries()) {
    const clash = paths.find((q, j) => j !== i && (q === p || q.startsWith(p + '/')));
    if (clash) throw new PublishError(`publish folders '${p}' and '${clash}' overlap; give each environment its own folder`);
  }
  checkTarget(options.repo);
  const repo = fs.existsSync(options.repo) ? path.resolve(options.repo) : options.repo;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-publish-'));
  try {
    git(work, ['init', '-q']);
    git(work, ['remote', 'add', 'origin', repo]);
    const env = identityEnv(work);
    const attempts = Math.max(1, options.attempts ?? 5);
    for (let attempt = 1; ; attempt++) {
      const reach = tryGit(work, ['ls-remote', 'origin']);
      if (!reach.ok) throw new PublishError(`cannot read the GitOps repository '${options.repo}': ${reach.err.trim()}`);
      syncToRemote(work, options.branch);
      const changes = writeTrees(work, options.trees);
      if (changes.size === 0) return { changes, pushes: attempt - 1 };
      git(work, ['commit', '-q', '-m', commitMessage(options.sourceRevision, changes)], env);
      const commit = git(work, ['rev-parse', 'HEAD']).trim();
      const push = tryGit(work, [
        'push',
        '-q',
        '--receive-pack=git -c receive.denyCurrentBranch=updateInstead receive-pack',
        'origin',
        `HEAD:refs/heads/${options.branch}`,
      ]);
      if (push.ok) return { commit, changes, pushes: attempt };
      if (!REJECTED.test(push.err) || attempt === attempts) {
        const why = REJECTED.test(push.err) ? `still rejected after ${attempts} attempts (others keep pushing)` : push.err.trim();
        throw new PublishError(`push to '${options.repo}' branch '${options.branch}' failed: ${why}; run publish again`);
      }
      // Someone else pushed first: wait a little (jittered so racers spread out), then redo on top of theirs.
      const until = Date.now() + 50 + Math.floor(Math.random() * 200 * attempt);
      while (Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, until - Date.now());
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
