import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { publish, PublishError, PublishTree } from '../../../../stacks/engines/gitops/publish';
import { publishEnvironments } from '../../../../stacks/cli/publish';
import { loadEnvironmentFile } from '../../../../stacks/environments';
import { synthesizeEnvironment } from '../../../../stacks/engines/gitops/synth';
import { REPO_ROOT } from '../../../support/shared-dir';

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: GIT_ENV, stdio: 'pipe' });

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'publish-test-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A bare repository whose main branch holds `files` (committed by someone other than publish). */
function bareRepo(files: Record<string, string> = { 'README.md': 'the gitops repository\n' }): string {
  const bare = path.join(tmp, 'gitops.git');
  git(tmp, 'init', '-q', '--bare', '-b', 'main', bare);
  const seed = path.join(tmp, 'seed');
  git(tmp, 'clone', '-q', bare, seed);
  git(seed, 'checkout', '-q', '-b', 'main');
  for (const [f, c] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(seed, f)), { recursive: true });
    fs.writeFileSync(path.join(seed, f), c);
  }
  git(seed, 'add', '-A');
  git(seed, 'commit', '-q', '-m', 'seed');
  git(seed, 'push', '-q', 'origin', 'main');
  return bare;
}

/** Every file of a branch of a repository, path -> content. */
function treeOf(repo: string, branch = 'main'): Record<string, string> {
  const files = git(repo, 'ls-tree', '-r', '--name-only', branch).trim().split('\n').filter(Boolean);
  return Object.fromEntries(files.map((f) => [f, git(repo, 'show', `${branch}:${f}`)]));
}
const commitCount = (repo: string, branch = 'main') => Number(git(repo, 'rev-list', '--count', branch).trim());

const tree = (env: string, files: Record<string, string>): PublishTree => ({
  env,
  path: `dist/${env}`,
  files: new Map(Object.entries(files)),
});

describe('publish into a GitOps repository', () => {
  test('writes the managed folder with the source revision in the message; a second publish commits nothing', () => {
    const bare = bareRepo();
    const trees = [tree('dev', { 'mesh/kustomization.yaml': 'a\n', 'apps/x.yaml': 'x\n' })];
    const first = publish({ repo: bare, branch: 'main', trees, sourceRevision: 'abc123-dirty' });
    expect(first.commit).toBe(git(bare, 'rev-parse', 'main').trim());
    expect(git(bare, 'log', '-1', '--format=%B', 'main')).toContain('Source-Revision: abc123-dirty');
    expect(treeOf(bare)).toEqual({
      'README.md': 'the gitops repository\n',
      'dist/dev/mesh/kustomization.yaml': 'a\n',
      'dist/dev/apps/x.yaml': 'x\n',
    });
    expect(commitCount(bare)).toBe(2);

    const second = publish({ repo: bare, branch: 'main', trees, sourceRevision: 'def456' });
    expect(second.commit).toBeUndefined();
    expect(second.changes.size).toBe(0);
    expect(commitCount(bare)).toBe(2);
  });

  test('removes stale files of its folder and leaves every other file alone, including a look-alike folder', () => {
    const unmanaged = {
      'README.md': 'keep\n',
      'dist/prod/mesh/kustomization.yaml': 'prod\n',
      'dist/dev-extra/keep.yaml': 'look-alike\n',
      'clusters/dev/flux.yaml': 'hand written\n',
    };
    const bare = bareRepo({ ...unmanaged, 'dist/dev/old/stale.yaml': 'stale\n', 'dist/dev/apps/x.yaml': 'old\n' });
    const result = publish({ repo: bare, branch: 'main', trees: [tree('dev', { 'apps/x.yaml': 'new\n' })], sourceRevision: 'r1' });
    expect(result.changes.get('dev')).toEqual({ added: [], changed: ['apps/x.yaml'], removed: ['old/stale.yaml'] });
    expect(treeOf(bare)).toEqual({ ...unmanaged, 'dist/dev/apps/x.yaml': 'new\n' });
  });

  test('creates the branch when the repository has none (an empty bare repository)', () => {
    const bare = path.join(tmp, 'empty.git');
    git(tmp, 'init', '-q', '--bare', bare);
    publish({ repo: bare, branch: 'flux', trees: [tree('dev', { 'a.yaml': 'a\n' })], sourceRevision: 'r1' });
    expect(treeOf(bare, 'flux')).toEqual({ 'dist/dev/a.yaml': 'a\n' });
  });

  test('refuses a local work tree with uncommitted changes, and updates a clean one in place', () => {
    const bare = bareRepo();
    const clone = path.join(tmp, 'clone');
    git(tmp, 'clone', '-q', bare, clone);
    fs.writeFileSync(path.join(clone, 'README.md'), 'edited, not committed\n');
    const attempt = () => publish({ repo: clone, branch: 'main', trees: [tree('dev', { 'a.yaml': 'a\n' })], sourceRevision: 'r1' });
    expect(attempt).toThrow(PublishError);
    expect(attempt).toThrow(/has uncommitted changes \(M README.md\); commit or discard them first/);
    expect(commitCount(clone)).toBe(1);

    git(clone, 'checkout', '--', 'README.md');
    attempt();
    expect(fs.readFileSync(path.join(clone, 'dist/dev/a.yaml'), 'utf8')).toBe('a\n');
    expect(git(clone, 'status', '--porcelain')).toBe('');
  });

  test('refuses folders outside the repository and overlapping folders', () => {
    const bare = bareRepo();
    const opts = { repo: bare, branch: 'main', sourceRevision: 'r' };
    expect(() => publish({ ...opts, trees: [{ env: 'dev', path: '../x', files: new Map() }] })).toThrow(/'..\/x' is not a folder inside/);
    expect(() => publish({ ...opts, trees: [tree('dev', {}), { env: 'b', path: 'dist/dev/b', files: new Map() }] })).toThrow(/overlap/);
  });

  test('a push rejected because another commit landed first is redone on top of it', () => {
    const bare = bareRepo();
    // The first push lands after someone else's commit (made by the hook while the push waits): it is rejected.
    const hook = path.join(bare, 'hooks', 'pre-receive');
    fs.writeFileSync(
      hook,
      [
        '#!/bin/sh',
        'cat >/dev/null',
        '[ -f "$GIT_DIR/raced" ] && exit 0',
        'touch "$GIT_DIR/raced"',
        'unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES',
        'blob=$(echo other | git hash-object -w --stdin)',
        'tree=$(printf "100644 blob $blob\\tother.txt\\n" | git mktree)',
        'commit=$(git commit-tree -p main -m other "$tree")',
        'git update-ref refs/heads/main "$commit"',
      ].join('\n') + '\n',
      { mode: 0o755 },
    );
    const result = publish({ repo: bare, branch: 'main', trees: [tree('dev', { 'a.yaml': 'a\n' })], sourceRevision: 'r1' });
    expect(result.pushes).toBe(2);
    expect(treeOf(bare)).toEqual({ 'other.txt': 'other\n', 'dist/dev/a.yaml': 'a\n' });
    expect(git(bare, 'log', '-1', '--format=%s', 'main^').trim()).toBe('other');
  });

  test('two publishes racing as separate processes both land, neither lost', async () => {
    const bare = bareRepo();
    const module = path.join(REPO_ROOT, 'stacks/engines/gitops/publish.ts');
    const run = (env: string) =>
      new Promise<string>((resolve, reject) => {
        const script = `
          require(${JSON.stringify(path.join(REPO_ROOT, 'test/support/ts-register.js'))});
          const { publish } = require(${JSON.stringify(module)});
          const r = publish({ repo: ${JSON.stringify(bare)}, branch: 'main', sourceRevision: 'race-${env}',
            trees: [{ env: '${env}', path: 'dist/${env}', files: new Map([['f.yaml', '${env}\\n']]) }] });
          console.log(JSON.stringify({ commit: r.commit, pushes: r.pushes }));`;
        const child = spawn(process.execPath, ['-e', script], { cwd: REPO_ROOT, env: GIT_ENV });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`publish ${env} exited ${code}: ${err}`))));
      });
    const results = await Promise.all(['dev', 'staging', 'prod'].map(run));
    for (const r of results) expect(JSON.parse(r).commit).toMatch(/^[0-9a-f]{40}$/);
    expect(treeOf(bare)).toEqual({
      'README.md': 'the gitops repository\n',
      'dist/dev/f.yaml': 'dev\n',
      'dist/staging/f.yaml': 'staging\n',
      'dist/prod/f.yaml': 'prod\n',
    });
    expect(commitCount(bare)).toBe(4);
  });
});

describe('mesh publish: the real environments', () => {
  test('publishes a fresh synth of dev into dist/dev with this repository revision; again, nothing', () => {
    const bare = bareRepo();
    const first = publishEnvironments({ repo: bare, env: ['dev'], configDir: REPO_ROOT, branch: 'main' });
    expect(first.commit).toBeDefined();
    const expected = synthesizeEnvironment(loadEnvironmentFile(path.join(REPO_ROOT, 'Pulumi.dev.yaml'))).files;
    const published = treeOf(bare);
    for (const [f, content] of expected) expect(published[`dist/dev/${f}`]).toBe(content);
    const head = git(REPO_ROOT, 'rev-parse', 'HEAD').trim();
    expect(git(bare, 'log', '-1', '--format=%B', 'main')).toMatch(new RegExp(`Source-Revision: ${head}(-dirty)?`));
    expect(publishEnvironments({ repo: bare, env: ['dev'], configDir: REPO_ROOT, branch: 'main' }).commit).toBeUndefined();
    expect(() => publishEnvironments({ repo: bare, env: ['nope'], configDir: REPO_ROOT })).toThrow(/--env nope: no Pulumi.<env>.yaml/);
  });
});
