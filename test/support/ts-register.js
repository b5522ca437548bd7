// For the child processes of tests that run the TypeScript sources (`node -r <this file> ...`): loads .ts files as
// ts-node's transpile-only mode does (typescript's transpileModule with tsconfig.json's options, no type checking),
// keeping each transpiled file in a cache folder keyed by its content, the compiler version and the settings. A child
// then starts in a fraction of a second instead of transpiling the whole tree (imports/ included) again, and a
// changed source is never served stale. The TypeScript compiler itself is loaded only when a file is not cached.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const tsconfigText = fs.readFileSync(path.join(root, 'tsconfig.json'), 'utf8');
const tsVersion = JSON.parse(fs.readFileSync(require.resolve('typescript/package.json', { paths: [root] }), 'utf8')).version;
const cacheDir = process.env.MESH_TS_CACHE ?? path.join(os.tmpdir(), 'mesh-ts-cache');

let compilerOptions;
function transpile(source, filename) {
  const ts = require(require.resolve('typescript', { paths: [root] }));
  if (!compilerOptions) {
    const { options, errors } = ts.convertCompilerOptionsFromJson(JSON.parse(tsconfigText).compilerOptions, root);
    if (errors.length > 0) throw new Error(`tsconfig.json: ${errors.map((e) => e.messageText).join('; ')}`);
    compilerOptions = { ...options, noEmit: false, module: ts.ModuleKind.CommonJS, sourceMap: false, inlineSourceMap: false };
  }
  return ts.transpileModule(source, { fileName: filename, compilerOptions }).outputText;
}

function compiled(source, filename) {
  const key = crypto.createHash('sha256').update(`${tsVersion}\0${tsconfigText}\0${filename}\0${source}`).digest('hex');
  const file = path.join(cacheDir, `${key}.js`);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    const js = transpile(source, filename);
    // Written whole under a temporary name, then renamed: processes starting together never read half a file.
    fs.mkdirSync(cacheDir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, js);
    fs.renameSync(tmp, file);
    return js;
  }
}

require.extensions['.ts'] = (module, filename) => {
  module._compile(compiled(fs.readFileSync(filename, 'utf8'), filename), filename);
};
