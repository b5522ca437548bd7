#!/usr/bin/env node
// Scans a synthesized tree (dist/ by default) for credentials, which must never reach Git: Flux reads dist/ from
// the repository, so anything there is published to every reader of it. Secrets are created outside Git and only
// referenced by name (dist/<env>/SECRETS.md lists them).
//
//   node scripts/scan-credentials.js [folder...]
//
// Prints one line per finding (file:line: what was found, the fix) with the secret itself masked, and exits 1
// when there is any; exits 0 with a summary otherwise. .ci/run runs it over dist/ after the synth.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** What a credential looks like: a name for the message and a pattern (global, for every match on a line). */
const PATTERNS = [
  {
    what: 'a URL with user:password@',
    pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s/@:'"]+:[^\s/@'"]+@/gi,
  },
  { what: 'an http(s) URL with a token as its user', pattern: /\bhttps?:\/\/[^\s/@:'"]+@/gi },
  { what: 'a private key', pattern: /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/g },
  { what: 'a GitHub token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})\b/g },
  { what: 'an AWS access key id', pattern: /\bAKIA[0-9A-Z]{16}\b/g },
  { what: 'a Slack token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { what: 'a Slack webhook URL', pattern: /hooks\.slack\.com\/services\/T[A-Za-z0-9]+\/B[A-Za-z0-9]+\/[A-Za-z0-9]+/g },
  { what: 'a Kubernetes Secret with data', pattern: /^kind:\s*Secret\s*$/gm },
];

/** Every regular file under `dir`, sorted. */
function filesUnder(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** The first 8 characters of a match and its length, so that the log does not publish what it found. */
function mask(text) {
  return `${text.slice(0, Math.min(8, text.length))}… (${text.length} chars)`;
}

/**
 * The findings in the files under `roots`: `{ file, line, what, excerpt }`, the excerpt masked.
 * @param {string[]} roots folders or files
 */
function scan(roots) {
  const findings = [];
  for (const root of roots) {
    const files = fs.statSync(root).isDirectory() ? filesUnder(root) : [root];
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      const lines = text.split('\n');
      for (const { what, pattern } of PATTERNS) {
        lines.forEach((line, i) => {
          for (const match of line.matchAll(pattern)) findings.push({ file, line: i + 1, what, excerpt: mask(match[0]) });
        });
      }
    }
  }
  return findings;
}

function main(argv) {
  const roots = argv.length > 0 ? argv : ['dist'];
  const findings = scan(roots);
  for (const f of findings) {
    process.stdout.write(
      `error: ${f.file}:${f.line}: ${f.what} (${f.excerpt}); remove it from the configuration and keep it in a Secret created outside Git, referenced by name\n`,
    );
  }
  if (findings.length > 0) {
    process.stdout.write(`error: ${findings.length} credential(s) in ${roots.join(', ')}: the tree must not be committed\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`no credentials in ${roots.join(', ')}\n`);
  }
}

if (require.main === module) main(process.argv.slice(2));

module.exports = { scan, PATTERNS };
