import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../support/shared-dir';

const { buildIfStale, staleReason, STAMP } = require(path.join(REPO_ROOT, 'scripts', 'build-if-stale.js')) as {
  buildIfStale: (
    root: string,
    options?: { entry?: string; compile?: (root: string) => number; quiet?: boolean; always?: boolean },
  ) => { built: boolean; reason?: string; status: number };
  staleReason: (root: string, entry?: string) => string | undefined;
  STAMP: string;
};

/** A package in a temporary folder: tsconfig.build.json compiling src/ (test/ excluded) to lib/, two sources. */
function project(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-stale-'));
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  write('package.json', '{ "name": "p", "version": "1.0.0" }\n');
  // (The smallest standard library keeps the real compiler's run short.)
  write(
    'tsconfig.json',
    '{ "compilerOptions": { "strict": true, "module": "commonjs", "target": "ES5", "lib": ["es5"], "skipLibCheck": true } }\n',
  );
  write(
    'tsconfig.build.json',
    JSON.stringify({
      extends: './tsconfig.json',
      compilerOptions: { outDir: 'lib', rootDir: '.', declaration: true, types: [] },
      include: ['src'],
      exclude: ['test', 'lib'],
    }),
  );
  write('src/a.ts', "export const a: string = 'a';\n");
  write('src/nested/b.ts', "import { a } from '../a';\nexport const b = `${a}b`;\n");
  write('test/a.test.ts', '// not an input of the build\n');
  return root;
}

/** A stand-in for tsc that writes lib/<source>.js and .d.ts for every source and counts its runs. */
function fakeCompiler() {
  const compiler = {
    runs: 0,
    status: 0,
    compile: (root: string) => {
      compiler.runs++;
      const sources = fs.readdirSync(path.join(root, 'src'), { recursive: true }).map(String);
      for (const source of sources.filter((s) => s.endsWith('.ts'))) {
        const out = path.join(root, 'lib', 'src', source.replace(/\.ts$/, ''));
        fs.mkdirSync(path.dirname(out), { recursive: true });
        fs.writeFileSync(`${out}.js`, '');
        fs.writeFileSync(`${out}.d.ts`, '');
      }
      return compiler.status;
    },
  };
  return compiler;
}

const build = (root: string, compiler: ReturnType<typeof fakeCompiler>, entry?: string) =>
  buildIfStale(root, { compile: compiler.compile, quiet: true, entry });

/** Changes a file's contents and moves its modification time (a second later, as an editor saving it would). */
function edit(file: string, text: string) {
  const { mtime } = fs.statSync(file);
  fs.writeFileSync(file, text);
  fs.utimesSync(file, mtime, new Date(mtime.getTime() + 1000));
}

describe('scripts/build-if-stale.js: npm run synth compiles only when a source changed', () => {
  test('the first run compiles and stamps lib/; the next one compiles nothing', () => {
    const root = project();
    const compiler = fakeCompiler();
    expect(staleReason(root)).toBe(`lib/${STAMP} is missing: no complete build yet`);
    expect(build(root, compiler)).toEqual({ built: true, reason: `lib/${STAMP} is missing: no complete build yet`, status: 0 });
    expect(staleReason(root)).toBeUndefined();
    expect(build(root, compiler)).toEqual({ built: false, status: 0 });
    expect(compiler.runs).toBe(1);
    expect(Object.keys(JSON.parse(fs.readFileSync(path.join(root, 'lib', STAMP), 'utf8')).inputs)).toEqual([
      'package.json',
      'src/a.ts',
      'src/nested/b.ts',
      'tsconfig.build.json',
      'tsconfig.json',
    ]);
  });

  test('a changed source always compiles, even one of the same size saved with an older time', () => {
    const root = project();
    const compiler = fakeCompiler();
    build(root, compiler);
    edit(path.join(root, 'src/nested/b.ts'), "import { a } from '../a';\nexport const b = `${a}c`;\n");
    expect(staleReason(root)).toBe('src/nested/b.ts changed');
    build(root, compiler);
    expect(compiler.runs).toBe(2);
    // Same size, modification time moved back (a checkout of an older revision): still a difference.
    const file = path.join(root, 'src/a.ts');
    fs.writeFileSync(file, "export const a: string = 'z';\n");
    fs.utimesSync(file, new Date(2020, 0, 1), new Date(2020, 0, 1));
    expect(staleReason(root)).toBe('src/a.ts changed');
    build(root, compiler);
    expect(build(root, compiler).built).toBe(false);
    expect(compiler.runs).toBe(3);
  });

  test('an added source, a changed compiler or package setting compile; a file outside the build does not', () => {
    const root = project();
    const compiler = fakeCompiler();
    build(root, compiler);
    fs.writeFileSync(path.join(root, 'test/b.test.ts'), '// excluded\n');
    fs.writeFileSync(path.join(root, 'README.md'), '# not an input\n');
    expect(staleReason(root)).toBeUndefined();
    fs.writeFileSync(path.join(root, 'src/c.ts'), 'export const c = 1;\n');
    expect(staleReason(root)).toBe('src/c.ts added');
    build(root, compiler);
    for (const setting of ['tsconfig.json', 'tsconfig.build.json', 'package.json']) {
      const file = path.join(root, setting);
      edit(file, `${fs.readFileSync(file, 'utf8')} `);
      expect(staleReason(root)).toBe(`${setting} changed`);
      build(root, compiler);
    }
    fs.writeFileSync(path.join(root, 'package-lock.json'), '{}\n');
    expect(staleReason(root)).toBe('package-lock.json added');
  });

  test('a deleted source compiles again and its compiled files leave lib/', () => {
    const root = project();
    const compiler = fakeCompiler();
    build(root, compiler);
    expect(fs.existsSync(path.join(root, 'lib/src/nested/b.js'))).toBe(true);
    fs.rmSync(path.join(root, 'src/nested/b.ts'));
    expect(staleReason(root)).toBe('src/nested/b.ts deleted');
    expect(build(root, compiler).built).toBe(true);
    expect(fs.existsSync(path.join(root, 'lib/src/nested/b.js'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'lib/src/nested/b.d.ts'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'lib/src/a.js'))).toBe(true);
    expect(build(root, compiler).built).toBe(false);
  });

  test('a failed compilation writes no stamp: the next run compiles again; a missing entry file compiles', () => {
    const root = project();
    const compiler = fakeCompiler();
    compiler.status = 2;
    expect(build(root, compiler)).toMatchObject({ built: true, status: 2 });
    expect(fs.existsSync(path.join(root, 'lib', STAMP))).toBe(false);
    compiler.status = 0;
    expect(build(root, compiler)).toMatchObject({ built: true, status: 0 });
    expect(build(root, compiler, 'lib/src/a.js').built).toBe(false);
    fs.rmSync(path.join(root, 'lib/src/a.js'));
    expect(staleReason(root, 'lib/src/a.js')).toBe('lib/src/a.js is missing');
    build(root, compiler, 'lib/src/a.js');
    expect(compiler.runs).toBe(3);
  });

  test('always (npm run build, prepare): compiles when lib/ is up to date too, and stamps it', () => {
    const root = project();
    const compiler = fakeCompiler();
    build(root, compiler);
    expect(buildIfStale(root, { compile: compiler.compile, quiet: true, always: true })).toEqual({
      built: true,
      reason: 'asked for',
      status: 0,
    });
    expect(compiler.runs).toBe(2);
    expect(build(root, compiler).built).toBe(false);
  });

  test('a build configuration it cannot follow (glob patterns) compiles every time', () => {
    const root = project();
    const compiler = fakeCompiler();
    fs.writeFileSync(path.join(root, 'tsconfig.build.json'), JSON.stringify({ compilerOptions: { outDir: 'lib' }, include: ['src/**/*'] }));
    build(root, compiler);
    expect(staleReason(root)).toBe('tsconfig.build.json uses glob patterns');
    expect(build(root, compiler).built).toBe(true);
    expect(compiler.runs).toBe(2);
  });

  test('with the real TypeScript compiler: compiles the sources to lib/, then nothing until a source changes', () => {
    const root = project();
    expect(buildIfStale(root, { quiet: true })).toMatchObject({ built: true, status: 0 });
    expect(fs.readFileSync(path.join(root, 'lib/src/nested/b.js'), 'utf8')).toContain('exports.b = "".concat(a_1.a, "b")');
    expect(buildIfStale(root, { quiet: true })).toEqual({ built: false, status: 0 });
    edit(path.join(root, 'src/nested/b.ts'), 'export const b = 2;\n');
    expect(staleReason(root)).toBe('src/nested/b.ts changed');
  });
});
