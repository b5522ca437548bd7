import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultConfigDir, packageRoot } from '../../../stacks/cli/context';
import { runCli as run } from '../../support/cli';

const root = path.resolve(__dirname, '..', '..', '..');

describe('mesh (the command line)', () => {
  test('--version prints the version of package.json and exits 0', () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(run(['--version'])).toEqual({ code: 0, out: `${version}\n`, err: '' });
  });

  test('--help of every command lists the exit codes', () => {
    for (const argv of [[], ['synth'], ['analyze'], ['explain', 'routes'], ['access', 'check'], ['access', 'matrix']]) {
      const { code, out } = run([...argv, '--help']);
      expect(code).toBe(0);
      expect(out).toContain(
        'Exit codes:\n  0  ok\n  1  findings: an analyzer error, a DENY (access check)\n  2  usage or configuration error',
      );
    }
  });

  test('analyze --help lists every analyzer of the registry with its code, name and severity', () => {
    const { ANALYZERS } = require('../../../stacks/analysis/registry') as typeof import('../../../stacks/analysis/registry');
    const { out } = run(['analyze', '--help']);
    for (const a of ANALYZERS) expect(out).toContain(`  ${a.code} ${a.name} (${a.severity}`);
    expect(out).toContain('  MESH0100 InvalidAnalyzeIgnore (error)');
    expect(out).toContain('  IST0113 MTLSPolicyConflict (error)');
  });

  test('a usage error exits 2', () => {
    expect(run(['synth', '--bogus']).code).toBe(2);
    expect(run(['analyze']).code).toBe(2);
    expect(run(['analyze']).err).toContain('error: analyze needs exactly one of --env <name> or --dir <folder>');
  });

  test('access check exits 1 on a DENY and 0 on an ALLOW, --json prints the decision', () => {
    const deny = run(['access', 'check', '--env', 'dev', '--to', 'demo/httpbin', '--json']);
    expect(deny.code).toBe(1);
    expect(JSON.parse(deny.out)).toMatchObject({ verdict: 'deny', allowed: false });
    const allow = run(['access', 'check', '--env', 'dev', '--from', 'demo/sleep', '--to', 'demo/httpbin', '--path', '/get']);
    expect(allow.code).toBe(0);
    expect(allow.out).toMatch(/^ALLOW: demo\/sleep -> demo\/httpbin GET \/get/);
  });

  test('the shipped environments analyze clean', () => {
    for (const env of ['dev', 'staging', 'prod'])
      expect(run(['analyze', '--env', env])).toMatchObject({ code: 0, out: 'no problems found\n' });
  });

  test('analyze --dir reads a synthesized folder: an error exits 1, --json lists findings', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-analyze-'));
    fs.mkdirSync(path.join(dir, 'apps'));
    fs.writeFileSync(
      path.join(dir, 'apps', 'demo.yaml'),
      'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r, namespace: demo}\nspec:\n  hosts: [httpbin]\n  http:\n  - route:\n    - destination: {host: nowhere}\n',
    );
    const text = run(['analyze', '--dir', dir]);
    expect(text.code).toBe(1);
    expect(text.out).toContain("error [IST0101] VirtualService demo/r: spec.http[0].route[0].destination.host 'nowhere'");
    expect(text.out).toContain('skipped MESH0003 CustomResourceBeforeItsCrd');
    const json = run(['analyze', '--dir', dir, '--json']);
    expect(JSON.parse(json.out).findings).toEqual([
      expect.objectContaining({ code: 'IST0101', object: 'VirtualService demo/r', severity: 'error' }),
    ]);
    expect(run(['analyze', '--dir', path.join(root, 'dist', 'dev')]).code).toBe(0);
  });

  test('the config folder defaults to a working directory that is a Pulumi project, else the package root', () => {
    expect(packageRoot()).toBe(root);
    expect(defaultConfigDir(root)).toBe(root);
    expect(defaultConfigDir(os.tmpdir())).toBe(root);
    const project = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-project-'));
    fs.writeFileSync(path.join(project, 'Pulumi.qa.yaml'), 'config: {}\n');
    expect(defaultConfigDir(project)).toBe(project);
  });

  test('the compiled binary: a shebang, --help well under a second, no TypeScript at run time', () => {
    // `npm run build`: into lib/ (gitignored), where package.json's bin points; skipped when lib/ is already the build
    // of the sources as they are (scripts/build-if-stale.js, as `npm run synth` does).
    const out = path.join(root, 'lib');
    require(path.join(root, 'scripts', 'build-if-stale.js')).buildIfStale(root, { quiet: true });
    const bin = path.join(out, 'stacks', 'cli', 'main.js');
    expect(fs.readFileSync(bin, 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
    // No wall-clock bound (machines differ): --help loads commander and the CLI's own modules, not the model.
    const hook = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-hook-')), 'loaded.js');
    fs.writeFileSync(hook, "process.on('exit', () => process.stderr.write(JSON.stringify(Object.keys(require.cache))));\n");
    const help = spawnSync(process.execPath, ['--require', hook, bin, '--help'], { encoding: 'utf8', cwd: os.tmpdir() });
    expect(help.status).toBe(0);
    const loaded = JSON.parse(help.stderr) as string[];
    expect(loaded.filter((m) => /node_modules\/(cdk8s|constructs|yaml|zod|@pulumi)\/|\/(charts|constructs|imports)\//.test(m))).toEqual([]);
    expect(help.stdout).toContain('Usage: mesh');
    const version = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
    expect(version.stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version);
    // The library entry loads without running anything (the Pulumi program is not part of it).
    const lib = spawnSync(
      process.execPath,
      ['-e', `const m = require(${JSON.stringify(path.join(out, 'index.js'))}); console.log(typeof m.MeshApp)`],
      {
        encoding: 'utf8',
      },
    );
    expect(lib.stdout.trim()).toBe('function');
  });
  test('errors reach a slow reader through a pipe in full, far beyond its 64 KiB buffer (issue 14 item 6)', () => {
    const bin = path.join(root, 'lib', 'stacks', 'cli', 'main.js');
    if (!fs.existsSync(bin))
      spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-pipe-'));
    const apps = Array.from({ length: 3000 }, (_, i) => `      app${i}: { image: "nginx:1", ports: [{ port: 8080 }], bogus${i}: 1 }`);
    fs.writeFileSync(
      path.join(dir, 'Pulumi.big.yaml'),
      ['config:', '  mesh:tier: development', '  mesh:apps:', '    shop:', ...apps, ''].join('\n'),
    );
    // The reader waits before it reads, so the pipe fills up while the command is exiting.
    const piped = spawnSync('sh', ['-c', `"${process.execPath}" "${bin}" synth --env big 2>&1 | (sleep 1; cat) > out.txt; echo $?`], {
      cwd: dir,
      encoding: 'utf8',
    });
    const lines = fs.readFileSync(path.join(dir, 'out.txt'), 'utf8').split('\n').filter(Boolean);
    expect(fs.statSync(path.join(dir, 'out.txt')).size).toBeGreaterThan(10 * 65536);
    expect(lines).toHaveLength(3000);
    lines.forEach((line, i) =>
      expect(line).toMatch(new RegExp(`^error: Pulumi\\.big\\.yaml: mesh:apps\\.shop\\.app${i}\\.bogus${i}: unknown key`)),
    );
    expect(fs.existsSync(path.join(dir, 'dist'))).toBe(false);
    expect(piped.stdout.trim()).toBe('0'); // the status of the pipeline is cat's; the command's own is checked below
    const direct = spawnSync(process.execPath, [bin, 'synth', '--env', 'big'], { cwd: dir, encoding: 'utf8' });
    expect(direct.status).toBe(2);
  });
});
