import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.join(__dirname, '..');

/** The TypeScript files below `dir` (relative to the repository root). */
function sources(dir: string): string[] {
  return fs
    .readdirSync(path.join(ROOT, dir), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** Each relative import or re-export of `file`, as `file: specifier -> top folder it resolves into`. */
function importsInto(file: string, folders: readonly string[]): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const found: string[] = [];
  for (const statement of source.statements) {
    const specifier =
      (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) &&
      statement.moduleSpecifier &&
      ts.isStringLiteral(statement.moduleSpecifier)
        ? statement.moduleSpecifier.text
        : undefined;
    if (!specifier?.startsWith('.')) continue;
    const top = path.relative(ROOT, path.resolve(ROOT, path.dirname(file), specifier)).split(path.sep)[0];
    if (folders.includes(top)) found.push(`${file}: '${specifier}' -> ${top}/`);
  }
  return found;
}

describe('layers: stacks compose charts, charts compose constructs (never the other way)', () => {
  test('no construct imports a chart, a stack or an app', () => {
    expect(sources('constructs').flatMap((f) => importsInto(f, ['charts', 'stacks', 'apps']))).toEqual([]);
  });

  test('no chart imports a stack or an app (app declarations of the environments, like the demos, are in stacks/)', () => {
    expect(sources('charts').flatMap((f) => importsInto(f, ['stacks', 'apps']))).toEqual([]);
  });

  test('the library entry point exports constructs and charts only', () => {
    expect(importsInto('index.ts', ['stacks', 'apps'])).toEqual([]);
  });
});
