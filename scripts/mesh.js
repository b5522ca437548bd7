#!/usr/bin/env node
// The mesh command of this checkout, compiled first when a source changed: `npm run synth` is
// `node scripts/mesh.js synth`. It runs lib/stacks/cli/main.js (the package's `mesh` bin) in this process, after
// scripts/build-if-stale.js has brought lib/ up to date (no compiler runs when nothing changed).
//
//   node scripts/mesh.js <mesh arguments...>
'use strict';
const path = require('node:path');
const { buildIfStale } = require('./build-if-stale');

const root = path.resolve(__dirname, '..');
const entry = 'lib/stacks/cli/main.js';
const build = buildIfStale(root, { entry });
if (build.status !== 0) {
  process.exitCode = build.status;
} else {
  const { main, reportError } = require(path.join(root, entry));
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    process.exitCode = reportError(e);
  }
}
