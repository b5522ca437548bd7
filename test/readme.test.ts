import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The README's first example is real code: it is extracted, compiled and run here, so the
 * documentation cannot drift from the API.
 */
test('the README example synthesizes', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const example = /## A first example\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  const ts = require('typescript') as typeof import('typescript');
  const js = ts.transpileModule(example!.replace(/from '\.\//g, "from '../"), { compilerOptions: { module: ts.ModuleKind.CommonJS } }).outputText;
  const out: { objects?: any[] } = {};
  const load = (m: string) => require(m.startsWith('../') ? path.join(__dirname, m) : m);
  new Function('require', 'exports', 'out', `${js}\nout.objects = require('cdk8s').Testing.synth(chart);`)(load, {}, out);
  const deployments = out.objects!.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name);
  expect(deployments).toEqual(['catalog', 'web-v1', 'web-v2']);
});
