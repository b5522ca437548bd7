import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../support/shared-dir';

const script = path.join(REPO_ROOT, 'scripts', 'scan-credentials.js');

/** A copy of dev's synthesized tree with `extra` written into one more file. */
function treeWith(extra: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-scan-'));
  fs.cpSync(path.join(REPO_ROOT, 'dist', 'dev'), path.join(dir, 'dev'), { recursive: true });
  if (extra) fs.writeFileSync(path.join(dir, 'dev', 'planted.yaml'), extra);
  return dir;
}

describe('scripts/scan-credentials.js (issue 14 item 2: CI scans dist/ for credentials)', () => {
  test('the committed dist/ is clean', () => {
    expect(execFileSync('node', [script, path.join(REPO_ROOT, 'dist')], { encoding: 'utf8' })).toMatch(/^no credentials in /);
  });

  test.each([
    [
      'a GitRepository URL with user:token@',
      'spec:\n  url: https://ci-bot:s3cr3tt0ken@github.com/acme/mesh.git\n',
      'a URL with user:password@',
    ],
    [
      'a token as the user of an https URL',
      'url: https://ghtoken123@github.com/acme/mesh.git\n',
      'an http(s) URL with a token as its user',
    ],
    ['a private key', 'key: |\n  -----BEGIN OPENSSH PRIVATE KEY-----\n', 'a private key'],
    ['a GitHub token', `token: ghp_${'a1B2'.repeat(9)}\n`, 'a GitHub token'],
    ['a Slack webhook', 'address: https://hooks.slack.com/services/T000/B000/XXXXsecret\n', 'a Slack webhook URL'],
    ['a Secret object', 'apiVersion: v1\nkind: Secret\nmetadata: { name: x }\ndata: { a: b }\n', 'a Kubernetes Secret with data'],
  ])('catches %s, names file and line, masks the value and exits 1', (_name, planted, what) => {
    const dir = treeWith(planted);
    const result = spawnSync('node', [script, dir], { encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`error: ${path.join(dir, 'dev', 'planted.yaml')}:`);
    expect(result.stdout).toContain(what);
    expect(result.stdout).not.toMatch(/s3cr3tt0ken|XXXXsecret/);
    expect(
      result.stdout
        .trim()
        .split('\n')
        .every((l) => l.startsWith('error: ')),
    ).toBe(true);
  });

  test('ssh://git@host (an SSH user, no secret) is not a finding', () => {
    const dir = treeWith('url: ssh://git@github.com/acme/mesh.git\n');
    expect(spawnSync('node', [script, dir], { encoding: 'utf8' }).status).toBe(0);
  });
});
