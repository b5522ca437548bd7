import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from './support/cli';

/**
 * The README's first example is real code: it is extracted, compiled and run here, so the
 * documentation cannot drift from the API.
 */
test('the README example synthesizes', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const example = /## A first example\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  const ts = require('typescript') as typeof import('typescript');
  const js = ts.transpileModule(example!.replace(/from '\.\//g, "from '../"), {
    compilerOptions: { module: ts.ModuleKind.CommonJS },
  }).outputText;
  const out: { objects?: any[] } = {};
  const load = (m: string) => require(m.startsWith('../') ? path.join(__dirname, m) : m);
  new Function('require', 'exports', 'out', `${js}\nout.objects = require('cdk8s').Testing.synth(chart);`)(load, {}, out);
  const deployments = out.objects!.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name);
  expect(deployments).toEqual(['catalog', 'web-v1', 'web-v2']);
});

/** The shell commands of a fenced block, `\` continuations joined, comments and blank lines dropped. */
function commandsOf(block: string): string[] {
  return block
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** The first ```sh block after `heading` in the README. */
function shellBlockAfter(heading: string): string[] {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const at = readme.indexOf(heading);
  expect(at).toBeGreaterThanOrEqual(0);
  return commandsOf(/```sh\n([\s\S]*?)```/.exec(readme.slice(at))![1]);
}

/** The index of the first command matching `pattern`; fails when there is none. */
function step(commands: string[], pattern: RegExp): number {
  const i = commands.findIndex((c) => pattern.test(c));
  if (i < 0) throw new Error(`no README command matches ${pattern}:\n${commands.join('\n')}`);
  return i;
}

/** Where the walkthrough creates `secret`: a `kubectl -n <ns> create secret generic` with every key, or `flux create secret git`. */
function createsSecret(commands: string[], secret: { name: string; namespace: string; keys: readonly string[] }): number {
  return commands.findIndex((c) => {
    const flux = new RegExp(`^flux create secret git ${secret.name} .*--namespace=${secret.namespace}\\b`).test(c);
    const generic =
      new RegExp(`^kubectl -n ${secret.namespace} create secret generic ${secret.name} `).test(c) &&
      secret.keys.every((k) => c.includes(` --from-literal=${k}=`));
    return flux || generic;
  });
}

describe('the GitOps story, from synth to what Flux reads, as the README tells it', () => {
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  const os = require('node:os') as typeof import('node:os');
  const root = path.join(__dirname, '..');

  test("dist/ is not ignored: `git add dist/prod` adds the tree (only an interrupted synth's temporary folders are ignored)", () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-gitignore-'));
    try {
      execFileSync('git', ['init', '-q'], { cwd: repo });
      fs.copyFileSync(path.join(root, '.gitignore'), path.join(repo, '.gitignore'));
      for (const f of ['dist/prod/mesh/kustomization.yaml', 'dist/prod/SECRETS.md', 'dist/.prod.new-123/mesh/kustomization.yaml']) {
        fs.mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
        fs.writeFileSync(path.join(repo, f), 'x\n');
      }
      execFileSync('git', ['add', 'dist/prod'], { cwd: repo });
      expect(execFileSync('git', ['ls-files'], { cwd: repo, encoding: 'utf8' }).split('\n').filter(Boolean).sort()).toEqual([
        'dist/prod/SECRETS.md',
        'dist/prod/mesh/kustomization.yaml',
      ]);
      expect(execFileSync('git', ['status', '--porcelain', '--untracked-files=all', '--', 'dist'], { cwd: repo, encoding: 'utf8' })).toBe(
        'A  dist/prod/SECRETS.md\nA  dist/prod/mesh/kustomization.yaml\n',
      );
    } finally {
      fs.rmSync(repo, { recursive: true, force: true });
    }
  });

  test('CI fails when the committed dist/ is not what npm run synth writes', () => {
    const ci = fs.readFileSync(path.join(root, '.ci', 'run'), 'utf8');
    expect(ci.indexOf('git status --porcelain --untracked-files=all -- dist')).toBeGreaterThan(ci.indexOf('npm run synth'));
  });

  test('"Deploy with Flux": every step in order, and what it names exists in a fresh synth', () => {
    const commands = shellBlockAfter('Walkthrough for `prod`');
    const synth = step(commands, /^npm run synth -- --env prod$/);
    const commit = step(commands, /^git add dist\/prod && git commit /);
    const handOver = step(commands, /^kubectl apply -k dist\/prod\/flux-system$/);
    expect(step(commands, /^flux install$/)).toBeLessThan(step(commands, /^flux create secret git flux-system /));
    expect(synth).toBeLessThan(commit);
    expect(commit).toBeLessThan(handOver);

    // `npm run synth -- --env prod` (into a scratch folder instead of dist/).
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-walkthrough-'));
    try {
      const { main } = require('../stacks/cli/main');
      const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
      const err = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        main(['synth', '--env', 'prod', '--outdir', out]);
      } finally {
        log.mockRestore();
        err.mockRestore();
      }
      // `kubectl apply -k dist/prod/flux-system` builds, and every path its Kustomizations read is a layer of the synth.
      const built = execFileSync('kubectl', ['kustomize', path.join(out, 'prod', 'flux-system')], { encoding: 'utf8' });
      const YAML = require('yaml') as typeof import('yaml');
      const objects = YAML.parseAllDocuments(built).map((d) => d.toJS());
      const layerPaths = objects.filter((o) => o.kind === 'Kustomization').map((o) => o.spec.path as string);
      expect(layerPaths.length).toBeGreaterThan(0);
      for (const p of layerPaths) {
        expect(p).toMatch(/^\.\/dist\/prod\/[a-z-]+$/);
        expect(fs.existsSync(path.join(out, p.replace(/^\.\/dist\//, ''), 'kustomization.yaml'))).toBe(true);
      }
      // `flux reconcile source git <name>` names the GitRepository the Kustomizations read.
      const source = objects.find((o) => o.kind === 'GitRepository');
      expect(commands).toContain(`flux reconcile source git ${source.metadata.name}`);

      // `cat dist/prod/SECRETS.md`, and every Secret it lists is created before Flux gets the environment,
      // each namespace (but flux-system, which `flux install` creates) first.
      expect(commands).toContain('cat dist/prod/SECRETS.md');
      const doc = fs.readFileSync(path.join(out, 'prod', 'SECRETS.md'), 'utf8');
      const { environmentSecrets } = require('../stacks/engines/gitops/secrets');
      const { loadEnvironmentFile } = require('../stacks/environments');
      const { buildPlatform } = require('../stacks/composition/platform');
      const secrets = environmentSecrets(buildPlatform(loadEnvironmentFile(path.join(root, 'Pulumi.prod.yaml'))));
      expect(secrets.map((s: any) => s.name)).toEqual(expect.arrayContaining(['grafana-admin', 'alertmanager-webhook']));
      for (const s of secrets) {
        expect(doc).toContain(`\`${s.namespace}/${s.name}\``);
        const at = createsSecret(commands, s);
        expect({ secret: `${s.namespace}/${s.name}`, created: at >= 0 }).toEqual({ secret: `${s.namespace}/${s.name}`, created: true });
        expect(at).toBeLessThan(handOver);
        if (s.namespace !== 'flux-system') expect(step(commands, new RegExp(`^kubectl create namespace ${s.namespace}$`))).toBeLessThan(at);
      }
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  test('"Deploy with Pulumi": the Secrets dev reads in push mode exist before `pulumi up`, and the namespace created for them is adopted', () => {
    const commands = shellBlockAfter('## Deploy with Pulumi');
    const up = step(commands, /^pulumi up$/);
    const { environmentSecrets } = require('../stacks/engines/gitops/secrets');
    const { loadEnvironmentFile } = require('../stacks/environments');
    const { buildPlatform } = require('../stacks/composition/platform');
    const dev = loadEnvironmentFile(path.join(root, 'Pulumi.dev.yaml'));
    expect(dev.delivery).toBe('push');
    // Push mode declares every layer but flux-system; optional Secrets may come later.
    const needed = environmentSecrets(buildPlatform(dev)).filter((s: any) => !s.optional && s.layer !== 'flux-system');
    expect(needed.map((s: any) => `${s.namespace}/${s.name}`)).toEqual(['observability/grafana-admin']);
    for (const s of needed) {
      const at = createsSecret(commands, s);
      expect(at).toBeGreaterThanOrEqual(0);
      expect(at).toBeLessThan(up);
      expect(step(commands, new RegExp(`^kubectl create namespace ${s.namespace}$`))).toBeLessThan(at);
    }
    expect(step(commands, /^pulumi config set kubernetes:upsertExistingObjects true$/)).toBeLessThan(up);
  });
});

describe('the README "Add your app" walkthrough (apps in code)', () => {
  const root = path.join(__dirname, '..');
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const block = /## Add your app[^\n]*\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  // Absolute imports, in a folder under node_modules (outside the project's tsconfig, beside its packages).
  const source = block?.replace(/from '\.\.\//g, `from '${root.replace(/\\/g, '/')}/`);

  test('its apps/index.ts type-checks, and the same code with a misspelt prop does not', () => {
    expect(block).toMatch(/^\/\/ apps\/index.ts\n/);
    const ts = require('typescript') as typeof import('typescript');
    const dir = fs.mkdtempSync(path.join(root, 'node_modules', '.readme-apps-'));
    try {
      const good = path.join(dir, 'index.ts');
      const bad = path.join(dir, 'misspelt.ts');
      fs.writeFileSync(good, source!);
      fs.writeFileSync(bad, source!.replace('autoscaling:', 'autoscalling:'));
      const config = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile).config;
      const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root);
      const program = ts.createProgram([good, bad], { ...options, noEmit: true });
      const messages = (file: string) =>
        ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(messages(good)).toEqual([]);
      expect(messages(bad).join('\n')).toMatch(/'autoscalling' does not exist in type 'MeshAppProps'/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  test('its registration synthesizes the shop into an environment, governed by the platform zero trust', () => {
    const ts = require('typescript') as typeof import('typescript');
    const js = ts.transpileModule(source!, { compilerOptions: { module: ts.ModuleKind.CommonJS, esModuleInterop: true } }).outputText;
    const exports: { default?: unknown } = {};
    new Function('require', 'exports', js)(require, exports);
    const { buildPlatform } = require('../stacks/composition/platform') as typeof import('../stacks/composition/platform');
    const { loadEnvironmentFile } = require('../stacks/environments') as typeof import('../stacks/environments');
    const { renderCharts } = require('../stacks/engines/render') as typeof import('../stacks/engines/render');
    const app = buildPlatform(loadEnvironmentFile(path.join(root, 'Pulumi.prod.yaml')), { apps: exports.default as any });
    const charts = renderCharts(app);
    const shop = charts.find((c) => c.id === 'shop');
    expect(shop?.layer).toBe('apps');
    const names = (kind: string) =>
      charts
        .flatMap((c) => c.objects)
        .filter((o) => o.kind === kind && o.metadata.namespace === 'shop')
        .map((o) => o.metadata.name)
        .sort();
    expect(names('Deployment')).toEqual(['cart', 'catalog', 'web']);
    expect(names('Canary')).toEqual(['web']);
    expect(names('AuthorizationPolicy')).toEqual(['cart', 'catalog', 'default-deny', 'web', 'web-primary']);
    const web = charts.flatMap((c) => c.objects).find((o) => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'web') as any;
    expect(web.spec.rules).toEqual([
      { from: [{ source: { principals: ['cluster.local/ns/istio-system/sa/istio-ingressgateway'] } }] },
      // The load tester by its own identity, not every workload of its namespace.
      { from: [{ source: { principals: ['cluster.local/ns/test/sa/flagger-loadtester'] } }] },
    ]);
  });
});

describe("the README's mesh commands", () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  // diff, graph and publish compare with Git, write files or push: their README commands are tested with them.
  const commands = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((m) => commandsOf(m[1]))
    .filter((c) => /^npx mesh (--version|synth|analyze|explain|access|footprint)\b/.test(c));

  test('npx mesh is the package binary, the compiled command line', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
    expect(pkg.bin).toEqual({ mesh: 'lib/stacks/cli/main.js' });
    expect(readme).not.toContain('ts-node');
    expect(commands.length).toBeGreaterThanOrEqual(8);
  });

  test('every npx mesh synth, analyze, explain, access and footprint command of the README runs and exits 0 (synth into a scratch folder)', () => {
    const os = require('node:os') as typeof import('node:os');
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-mesh-'));
    for (const command of commands) {
      const argv = command.slice('npx mesh '.length).split(/\s+/);
      if (argv[0] === 'synth') argv.push('--outdir', out);
      const { code } = runCli(argv);
      expect({ command, code }).toEqual({ command, code: 0 });
    }
  });
});
