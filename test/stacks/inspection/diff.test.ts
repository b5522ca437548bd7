import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { diffTrees, formatChanges, readAtRef, readFolder, unifiedDiff, useColour } from '../../../stacks/inspection/diff';
import { runDiff } from '../../../stacks/cli/diff';
import { loadEnvironmentFile } from '../../../stacks/environments';
import { synthesizeEnvironment } from '../../../stacks/engines/gitops/synth';
import { REPO_ROOT } from '../../support/shared-dir';

const deployment = (image: string, replicas = 1) =>
  [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: httpbin',
    '  namespace: demo',
    'spec:',
    `  replicas: ${replicas}`,
    '  template:',
    '    spec:',
    '      containers:',
    `        - image: ${image}`,
    '          name: httpbin',
  ].join('\n') + '\n';
const service = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: httpbin\n  namespace: demo\nspec:\n  ports:\n    - port: 8000\n';
const vs =
  'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: httpbin\n  namespace: demo\nspec:\n  hosts: [httpbin]\n';

describe('diffTrees: per object', () => {
  test('no changes when the same objects are only re-formatted or re-ordered between documents', () => {
    const before = new Map([['apps/a.yaml', `${deployment('a:1')}---\n${service}`]]);
    const after = new Map([
      [
        'apps/a.yaml',
        `${service.replace('[', '[ ')}---\n${deployment('a:1').replace('name: httpbin\n  namespace', "name: 'httpbin'\n  namespace")}`,
      ],
    ]);
    expect(diffTrees(before, after)).toEqual([]);
  });

  test('added, removed and changed objects, the changed one with a unified diff of its fields', () => {
    const before = new Map([['apps/a.yaml', `${deployment('httpbin:1')}---\n${service}`]]);
    const after = new Map([['apps/a.yaml', `${deployment('httpbin:2')}---\n${vs}`]]);
    const changes = diffTrees(before, after);
    expect(changes.map((c) => [c.status, c.label])).toEqual([
      ['changed', 'Deployment demo/httpbin'],
      ['added', 'VirtualService demo/httpbin'],
      ['removed', 'Service demo/httpbin'],
    ]);
    expect(changes[0].diff).toEqual([
      '@@ -8,5 +8,5 @@',
      '   template:',
      '     spec:',
      '       containers:',
      '-        - image: httpbin:1',
      '+        - image: httpbin:2',
      '           name: httpbin',
    ]);
  });

  test('an object moved to another file is a change naming where it was; other files by path', () => {
    const before = new Map([
      ['apps/a.yaml', service],
      ['SECRETS.md', '# secrets\n- one\n'],
    ]);
    const after = new Map([
      ['platform/b.yaml', service],
      ['SECRETS.md', '# secrets\n- one\n- two\n'],
    ]);
    const changes = diffTrees(before, after);
    expect(changes.map((c) => [c.status, c.label, c.movedFrom])).toEqual([
      ['changed', 'SECRETS.md', undefined],
      ['changed', 'Service demo/httpbin', 'apps/a.yaml'],
    ]);
    expect(changes[0].diff).toEqual(['@@ -1,2 +1,3 @@', ' # secrets', ' - one', '+- two']);
  });

  test('unifiedDiff keeps far apart changes in separate hunks with 3 lines of context', () => {
    const a = Array.from({ length: 20 }, (_, i) => `line ${i}`);
    const b = [...a];
    b[2] = 'two';
    b[17] = 'seventeen';
    const d = unifiedDiff(a.join('\n'), b.join('\n'));
    expect(d.filter((l) => l.startsWith('@@'))).toEqual(['@@ -1,6 +1,6 @@', '@@ -15,6 +15,6 @@']);
  });
});

describe('formatChanges and colour', () => {
  const changes = diffTrees(new Map([['a.yaml', deployment('x:1')]]), new Map([['a.yaml', deployment('x:2', 2)]]));
  test('plain text without colour, a count at the end', () => {
    const text = formatChanges(changes, { colour: false });
    expect(text).not.toContain('\x1b[');
    expect(text).toContain('~ changed Deployment demo/httpbin  a.yaml\n');
    expect(text).toContain('    -  replicas: 1\n    +  replicas: 2\n');
    expect(text.trimEnd().split('\n').pop()).toBe('1 changed, 0 added, 0 removed');
    expect(formatChanges([], { colour: false })).toBe('no changes\n');
  });
  test('ANSI colours on a terminal: red removed lines, green added ones; none with NO_COLOR or off a terminal', () => {
    const text = formatChanges(changes, { colour: true });
    expect(text).toContain('\x1b[31m-  replicas: 1\x1b[0m');
    expect(text).toContain('\x1b[32m+  replicas: 2\x1b[0m');
    expect(useColour({ isTTY: true }, {})).toBe(true);
    expect(useColour({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(useColour({ isTTY: false }, {})).toBe(false);
  });
});

describe('reading the other side', () => {
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'diff-test-'))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: tmp,
      encoding: 'utf8',
      env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
    });

  test('readAtRef: dist/<env> as committed at a ref, not the work tree', () => {
    git('init', '-q');
    fs.mkdirSync(path.join(tmp, 'dist/dev/apps'), { recursive: true });
    fs.mkdirSync(path.join(tmp, 'dist/dev-other'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'dist/dev/apps/a.yaml'), 'one\n');
    fs.writeFileSync(path.join(tmp, 'dist/dev-other/b.yaml'), 'other\n');
    git('add', '-A');
    git('commit', '-q', '-m', 'one');
    fs.writeFileSync(path.join(tmp, 'dist/dev/apps/a.yaml'), 'two\n');
    git('commit', '-q', '-am', 'two');
    fs.writeFileSync(path.join(tmp, 'dist/dev/apps/a.yaml'), 'uncommitted\n');
    expect(readAtRef(tmp, 'HEAD~1', './dist/dev')).toEqual(new Map([['apps/a.yaml', 'one\n']]));
    expect(readAtRef(tmp, 'HEAD', 'dist/dev')).toEqual(new Map([['apps/a.yaml', 'two\n']]));
    expect(readFolder(path.join(tmp, 'dist/dev'))).toEqual(new Map([['apps/a.yaml', 'uncommitted\n']]));
    expect(() => readAtRef(tmp, 'nope', 'dist/dev')).toThrow(/--against 'nope' is neither a folder nor a Git ref/);
  });

  test('mesh diff --env dev --against <folder>: exit 0 when equal, 1 with the changed object, 2 on a bad ref or env', () => {
    const files = synthesizeEnvironment(loadEnvironmentFile(path.join(REPO_ROOT, 'Pulumi.dev.yaml'))).files;
    for (const [f, c] of files) {
      fs.mkdirSync(path.dirname(path.join(tmp, 'dev', f)), { recursive: true });
      fs.writeFileSync(path.join(tmp, 'dev', f), c);
    }
    let out = '';
    let err = '';
    const sink = { write: (s: string) => (out += s) };
    const errSink = { write: (s: string) => (err += s) };
    expect(runDiff({ env: 'dev', configDir: REPO_ROOT, against: tmp, colour: false }, sink, errSink)).toBe(0);
    expect(out).toBe('no changes\n');

    const file = [...files.keys()].find((f) => /kind: Deployment/.test(files.get(f)!))!;
    fs.writeFileSync(path.join(tmp, 'dev', file), files.get(file)!.replace(/replicas: \d+/, 'replicas: 42'));
    out = '';
    expect(runDiff({ env: 'dev', configDir: REPO_ROOT, against: path.join(tmp, 'dev'), colour: false }, sink, errSink)).toBe(1);
    expect(out).toMatch(/~ changed Deployment \S+ {2}\S+\n/);
    expect(out).toContain('-  replicas: 42');

    expect(runDiff({ env: 'dev', configDir: REPO_ROOT, against: 'no-such-ref' }, sink, errSink)).toBe(2);
    expect(runDiff({ env: 'nope', configDir: REPO_ROOT }, sink, errSink)).toBe(2);
    expect(err).toContain("error: --against 'no-such-ref' is neither a folder nor a Git ref");
    expect(err).toContain('error: --env nope: no Pulumi.nope.yaml');
  });
});
