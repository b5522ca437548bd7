import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  JOURNAL_FILE,
  LOCK_FILE,
  objectSizeProblems,
  recoverOutdir,
  synthesize,
  synthesizeEnvironment,
} from '../../../../stacks/engines/gitops/synth';
import { REPO_ROOT } from '../../../support/shared-dir';
import { parseEnvironment } from '../../../../stacks/environments';

/**
 * Issue 14 item 7: the environments of one synth replace their folders all or nothing; a killed synth leaves
 * nothing the next run does not complete or remove; concurrent runs are serialized.
 */

const ENVS = ['a', 'b', 'c'];

/** A config folder of three development environments whose output carries `sampling` (the run's mark). */
function configDir(sampling: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mesh-atomic-${sampling}-`));
  for (const env of ENVS) {
    fs.writeFileSync(
      path.join(dir, `Pulumi.${env}.yaml`),
      `config:\n  mesh:tier: development\n  mesh:demo: { apps: [] }\n  mesh:canary: { weightedSplit: { enabled: false }, httpbinCanary: { enabled: false } }\n  mesh:istio: { tracingSampling: ${sampling} }\n`,
    );
  }
  return dir;
}

/** The run mark of each environment folder in `outdir` (the sampling percentage rendered into its mesh config). */
function marks(outdir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const env of fs.readdirSync(outdir).filter((e) => !e.startsWith('.'))) {
    const text = fs
      .readdirSync(path.join(outdir, env), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => fs.readFileSync(path.join(outdir, env, f), 'utf8'))
      .join('\n');
    const m = /samplingPercentage: (\d+)/.exec(text) ?? /randomSamplingPercentage: (\d+)/.exec(text);
    out.set(env, m ? m[1] : 'incomplete');
  }
  return out;
}

/** Starts `synthesize()` in a child process, as `npm run synth` does (the sources, transpiled once and cached). */
function startSynth(config: string, outdir: string) {
  const script = `require(${JSON.stringify(path.join(REPO_ROOT, 'stacks/engines/gitops/synth'))}).synthesize({ configDir: ${JSON.stringify(config)}, outdir: ${JSON.stringify(outdir)} })`;
  const register = path.join(REPO_ROOT, 'test/support/ts-register.js');
  return spawn(process.execPath, ['-r', register, '-e', script], { cwd: REPO_ROOT, stdio: 'ignore' });
}

const exited = (child: ReturnType<typeof startSynth>) => new Promise((resolve) => child.on('exit', resolve));

const A = configDir(11);
const B = configDir(22);

describe('synth across environments (issue 14 item 7)', () => {
  test('kill -9 at random times: after recovery dist/ holds complete environments of one run and no temporary folder', async () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-atomic-out-'));
    synthesize({ configDir: A, outdir });
    expect(new Set(marks(outdir).values())).toEqual(new Set(['11']));
    // How long a child's whole run takes, to spread the kills over it (most land in rendering, some in the swap);
    // measured on the second run, once the first has filled the transpile cache the children share.
    await exited(startSynth(A, outdir));
    const t0 = Date.now();
    await exited(startSynth(B, outdir));
    let duration = Date.now() - t0;
    expect(new Set(marks(outdir).values())).toEqual(new Set(['22']));
    let rnd = 7;
    let interrupted = 0;
    for (let i = 0; i < 6; i++) {
      rnd = (rnd * 48271) % 2147483647;
      const config = i % 2 === 0 ? A : B;
      const started = Date.now();
      const child = startSynth(config, outdir);
      const exit = exited(child).then(() => Date.now() - started);
      const delay = Math.floor(duration * (0.6 + 0.45 * (rnd / 2147483647)));
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (child.exitCode === null && child.kill('SIGKILL')) interrupted++;
      // It finished before the kill (the measured run was slowed by other load): the next kills aim at this run's length.
      else duration = Math.min(duration, await exit);
      await exit;
      recoverOutdir(outdir);
      fs.rmSync(path.join(outdir, LOCK_FILE), { force: true }); // the killed child's (its PID is dead)
      const seen = marks(outdir);
      expect([...seen.keys()].sort()).toEqual(ENVS);
      expect(new Set(seen.values()).size).toBe(1);
      expect(['11', '22']).toContain([...seen.values()][0]);
      expect(fs.readdirSync(outdir).filter((e) => e.startsWith('.'))).toEqual([]);
    }
    // Not vacuous: kills landed while synths were running.
    expect(interrupted).toBeGreaterThan(0);
  }, 240_000);

  test('an interrupted swap (journal written, dev missing between the two renames) is rolled forward', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-atomic-out-'));
    synthesize({ configDir: A, outdir });
    const staged = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-atomic-staged-'));
    synthesize({ configDir: B, outdir: staged });
    // The state of a run (PID 99999) killed after swapping a, and between the two renames of b.
    fs.renameSync(path.join(outdir, 'a'), path.join(outdir, '.a.old-99999'));
    fs.renameSync(path.join(staged, 'a'), path.join(outdir, 'a'));
    fs.renameSync(path.join(outdir, 'b'), path.join(outdir, '.b.old-99999'));
    fs.renameSync(path.join(staged, 'b'), path.join(outdir, '.b.new-99999'));
    fs.renameSync(path.join(staged, 'c'), path.join(outdir, '.c.new-99999'));
    fs.writeFileSync(path.join(outdir, JOURNAL_FILE), JSON.stringify({ pid: 99999, environments: ENVS }));
    fs.mkdirSync(path.join(outdir, '.a.new-12345')); // a stale staging folder of another killed run
    expect(fs.existsSync(path.join(outdir, 'b'))).toBe(false);
    recoverOutdir(outdir);
    expect(marks(outdir)).toEqual(new Map(ENVS.map((e) => [e, '22'])));
    expect(fs.readdirSync(outdir).filter((e) => e.startsWith('.'))).toEqual([]);
  });

  test('a stale lock of a dead PID is taken over; two synths at once are serialized, not failing with ENOTEMPTY', async () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-atomic-out-'));
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    fs.writeFileSync(path.join(outdir, LOCK_FILE), dead);
    synthesize({ configDir: A, outdir });
    expect(fs.existsSync(path.join(outdir, LOCK_FILE))).toBe(false);
    const codes = await Promise.all(
      [A, B].map((c) => new Promise<number | null>((resolve) => startSynth(c, outdir).on('exit', (code) => resolve(code)))),
    );
    expect(codes).toEqual([0, 0]);
    expect(new Set(marks(outdir).values()).size).toBe(1);
    expect(fs.readdirSync(outdir).filter((e) => e.startsWith('.'))).toEqual([]);
  }, 120_000);
});

describe('object size (issue 14 item 4)', () => {
  test("an object above etcd's 1.5 MiB is named with its longest value; the synth of its environment fails", () => {
    const huge = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'big', namespace: 'demo' },
      data: { branch: 'x'.repeat(2_000_000) },
    };
    expect(objectSizeProblems([huge as never])).toEqual([
      expect.stringMatching(
        /^ConfigMap demo\/big is \d+ bytes, above the 1572864 bytes \(1.5 MiB\).*longest value is data.branch \(2000000 chars\)/,
      ),
    ]);
    expect(objectSizeProblems([{ ...huge, data: { branch: 'main' } } as never])).toEqual([]);
    // Through the config (Pulumi hands values over without the file's 1 MiB limit): Kiali's OpenID client id has no
    // length of its own, so the rendered HelmRelease is what is checked.
    const config = parseEnvironment(
      'dev',
      {
        'mesh:observability': {
          kiali: { auth: 'openid', openId: { issuerUri: 'https://sso.example.com', clientId: 'k'.repeat(1_700_000) } },
        },
      },
      'Pulumi.dev.yaml',
    );
    expect(() => synthesizeEnvironment(config)).toThrow(
      /^dev: HelmRelease flux-system\/kiali is \d+ bytes, above the 1572864 bytes .*client_id \(1700000 chars\)/,
    );
  });
});
