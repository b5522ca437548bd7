import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SynthError, synthesize } from '../../../../stacks/engines/gitops/synth';
import { REPO_ROOT } from '../../../support/shared-dir';

const root = REPO_ROOT;

/** A scratch project: the repository's environment files copied into a temp folder. */
function scratch(): { configDir: string; outdir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-synth-'));
  for (const f of fs.readdirSync(root).filter((f) => /^Pulumi\..+\.yaml$/.test(f))) fs.copyFileSync(path.join(root, f), path.join(dir, f));
  return { configDir: dir, outdir: path.join(dir, 'dist') };
}

/** Every file under `dir` with its content, keyed by relative path. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

describe('synthesize', () => {
  const project = scratch();
  const first = synthesize(project);
  const firstTree = tree(project.outdir);

  test('writes every environment as Flux layers, each with a kustomization.yaml', () => {
    expect([...first.environments.keys()].sort()).toEqual(['dev', 'prod', 'staging']);
    for (const env of ['dev', 'staging', 'prod']) {
      // Beside the layer folders, only the list of the environment's Secrets (in no layer).
      const layers = fs.readdirSync(path.join(project.outdir, env)).filter((f) => f !== 'SECRETS.md');
      expect(
        fs.readdirSync(path.join(project.outdir, env)).filter((f) => !fs.statSync(path.join(project.outdir, env, f)).isDirectory()),
      ).toEqual(['SECRETS.md']);
      // prod deploys no demo app by default (mesh:demo.apps), so it has no apps layer.
      expect(layers).toEqual(expect.arrayContaining(env === 'prod' ? ['mesh', 'platform'] : ['mesh', 'apps']));
      for (const layer of layers) {
        const k = fs.readFileSync(path.join(project.outdir, env, layer, 'kustomization.yaml'), 'utf8');
        for (const file of fs.readdirSync(path.join(project.outdir, env, layer)).filter((f) => f !== 'kustomization.yaml'))
          expect(k).toContain(`- ${file}`);
      }
    }
  });

  test('is deterministic: a second synthesis is byte-identical', () => {
    synthesize(project);
    expect(tree(project.outdir)).toEqual(firstTree);
  });

  test('leaves no temporary folders behind', () => {
    expect(fs.readdirSync(project.outdir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  test('every layer folder builds with the real kubectl kustomize', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      for (const layer of fs.readdirSync(path.join(project.outdir, env)).filter((f) => f !== 'SECRETS.md')) {
        const out = execFileSync('kubectl', ['kustomize', path.join(project.outdir, env, layer)], { encoding: 'utf8' });
        expect(out).toMatch(/^apiVersion: /m);
      }
    }
  });

  test('a failed synth leaves the previous output exactly as it was', () => {
    const p = scratch();
    synthesize(p);
    const before = tree(p.outdir);
    fs.appendFileSync(path.join(p.configDir, 'Pulumi.dev.yaml'), '  mesh:workloads:\n    replicas: many\n');
    expect(() => synthesize(p)).toThrow(SynthError);
    expect(tree(p.outdir)).toEqual(before);
  });

  test('one bad environment stops the others from being written too', () => {
    const p = scratch();
    fs.writeFileSync(path.join(p.configDir, 'Pulumi.prod.yaml'), 'config:\n  mesh:istio: {mtls: OFF}\n');
    expect(() => synthesize(p)).toThrow(/Pulumi\.prod\.yaml: mesh:istio\.mtls/);
    expect(fs.existsSync(p.outdir)).toBe(false);
  });

  test('--env synthesizes just one environment and leaves the others alone', () => {
    const p = scratch();
    synthesize(p);
    const stagingBefore = tree(path.join(p.outdir, 'staging'));
    const devBefore = tree(path.join(p.outdir, 'dev'));
    fs.copyFileSync(path.join(p.configDir, 'Pulumi.staging.yaml'), path.join(p.configDir, 'Pulumi.dev.yaml'));
    const result = synthesize({ ...p, environments: ['dev'] });
    expect([...result.environments.keys()]).toEqual(['dev']);
    expect(tree(path.join(p.outdir, 'staging'))).toEqual(stagingBefore);
    expect(tree(path.join(p.outdir, 'dev'))).not.toEqual(devBefore);
  });

  test('fails when an environment is asked for that has no file', () => {
    expect(() => synthesize({ ...scratch(), environments: ['qa'] })).toThrow("environment 'qa' has no Pulumi.qa.yaml");
  });
});

describe('npm run synth (the CLI)', () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ['-r', path.join(root, 'test/support/ts-register.js'), path.join(root, 'stacks/cli/main.ts'), ...args], {
      encoding: 'utf8',
    });

  test('bad config exits 2 (a configuration error) with one line per problem and no stack trace', () => {
    const p = scratch();
    fs.writeFileSync(
      path.join(p.configDir, 'Pulumi.dev.yaml'),
      'config:\n  mesh:workloads:\n    replica: 2\n  mesh:istio:\n    mtls: OFF\n',
    );
    const run = cli(['synth', '--config-dir', p.configDir, '--outdir', p.outdir]);
    expect(run.status).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^error: Pulumi\.dev\.yaml: mesh:workloads\.replica: unknown key; did you mean 'replicas'\?/),
      expect.stringMatching(/^error: Pulumi\.dev\.yaml: mesh:istio\.mtls: string "OFF" is not allowed/),
    ]);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  test('writes the environments it was asked for', () => {
    const p = scratch();
    const run = cli(['synth', '--env', 'staging', '--config-dir', p.configDir, '--outdir', p.outdir]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^staging: \d+ files/);
    expect(fs.readdirSync(p.outdir)).toEqual(['staging']);
  });
});

describe('renderCharts', () => {
  test('fails when a chart of the platform has no Flux layer', () => {
    const { App, Chart } = require('cdk8s');
    const { renderCharts } = require('../../../../stacks/engines/render');
    const app = new App();
    new Chart(app, 'plain');
    expect(() => renderCharts(app)).toThrow('plain: every chart of the platform must be a LayerChart, so that it has a Flux layer');
  });
});
