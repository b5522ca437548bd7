import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { ConfigError, loadEnvironmentFile, presets } from '../../../stacks/environments';
import { SynthError, synthesize } from '../../../stacks/engines/gitops/synth';
import { REPO_ROOT } from '../../support/shared-dir';
import { PRODUCTION_REQUIRED } from '../../support/production';

/**
 * Issue 14: several hundred generated bad environment files (valid ones mutated: wrong types, unknown keys, huge
 * strings, unicode and NUL, reserved namespaces, credentials in URLs, odd quantities), each either rejected with one
 * clear line per problem (file, key or line, value, fix) or accepted; none hangs; a rejected one leaves the output
 * folder byte-identical.
 */

/** A small deterministic generator (mulberry32), so that a failure reproduces. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The valid starting points: each tier's complete preset as a file would write it (production with its required keys). */
function baseConfigs(): Array<{ env: string; config: Record<string, Json> }> {
  return (['dev', 'staging', 'prod'] as const).map((env) => {
    const tier = { dev: 'development', staging: 'staging', prod: 'production' }[env] as keyof typeof presets;
    const config: Record<string, Json> = {};
    for (const [k, v] of Object.entries(presets[tier])) config[`mesh:${k}`] = JSON.parse(JSON.stringify(v)) as Json;
    if (env === 'prod') Object.assign(config, JSON.parse(JSON.stringify(PRODUCTION_REQUIRED)));
    return { env, config };
  });
}

/** Every path to a value in `value` (objects and lists included). */
function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function setAt(root: Json, keyPath: (string | number)[], value: Json): void {
  let node = root as Record<string | number, Json>;
  for (const k of keyPath.slice(0, -1)) node = node[k] as Record<string | number, Json>;
  node[keyPath[keyPath.length - 1]] = value;
}

const HUGE = 'x'.repeat(200_000);
const MUTATIONS: Array<{ name: string; apply: (rnd: () => number, config: Record<string, Json>) => void }> = [
  {
    name: 'wrong type',
    apply: (rnd, c) => {
      const p = pick(
        rnd,
        paths(c).filter((x) => x.length > 0),
      );
      setAt(c, p, pick<Json>(rnd, [42, -1, 1.5, true, 'text', [], [1, 'a'], {}, { a: 1 }, null]));
    },
  },
  {
    name: 'unknown key',
    apply: (rnd, c) => {
      const objects = paths(c).filter((p) => {
        const v = get(c, p);
        return v !== null && typeof v === 'object' && !Array.isArray(v);
      });
      const p = pick(rnd, objects);
      const target = get(c, p) as Record<string, Json>;
      target[pick(rnd, ['replica', 'Namespace', 'mtlsMode', 'x', 'tier2', 'enabled ', '\u00fcber'])] = 1;
    },
  },
  {
    name: 'huge string',
    apply: (rnd, c) => setAt(c, pick(rnd, stringPaths(c)), HUGE),
  },
  {
    name: 'unicode and NUL',
    apply: (rnd, c) =>
      setAt(c, pick(rnd, stringPaths(c)), pick(rnd, ['d\u00e9mo', 'demo\u0000', '\u2603', 'a\u202eb', 'ＤＥＭＯ', '\ud83d\ude00'])),
  },
  {
    name: 'reserved namespace',
    apply: (rnd, c) => {
      const ns = stringPaths(c).filter((p) => p[p.length - 1] === 'namespace' && p[0] !== 'mesh:security');
      setAt(c, pick(rnd, ns), pick(rnd, ['istio-system', 'kube-system', 'kube-public', 'kube-node-lease', 'flux-system', 'cert-manager']));
    },
  },
  {
    name: 'credentials',
    apply: (rnd, c) => {
      const url = pick(rnd, ['https://user:token@github.com/acme/mesh.git', 'https://ghp_secret@github.com/acme/mesh.git']);
      if (rnd() < 0.5) c['mesh:gitops'] = { url };
      else
        c['mesh:observability'] = { ...(c['mesh:observability'] as object), grafana: { adminSecret: 'grafana-admin', externalUrl: url } };
    },
  },
  {
    name: 'odd quantity',
    apply: (rnd, c) => {
      const side = pick(rnd, ['requests', 'limits']);
      const kind = pick(rnd, ['cpu', 'memory']);
      setAt(
        c,
        ['mesh:workloads', 'resources', side, kind],
        pick(rnd, ['0.0001', '1e+23', '100000000000000000000', '1536Ki', '-1', '0', '1.5Gi', '1x', 1e23]),
      );
    },
  },
];

function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)];
}
function get(root: Json, keyPath: (string | number)[]): Json {
  return keyPath.reduce<Json>((node, k) => (node as Record<string | number, Json>)[k], root);
}
function stringPaths(c: Json): (string | number)[][] {
  return paths(c).filter((p) => p.length > 0 && typeof get(c, p) === 'string');
}

/** The generated cases: every mutation on every environment, several times, some with two mutations at once. */
function cases(count: number): Array<{ id: number; env: string; mutations: string[]; text: string }> {
  const rnd = random(14);
  const bases = baseConfigs();
  return Array.from({ length: count }, (_, id) => {
    const base = bases[id % bases.length];
    const config = JSON.parse(JSON.stringify(base.config)) as Record<string, Json>;
    const applied = Array.from({ length: rnd() < 0.3 ? 2 : 1 }, () => pick(rnd, MUTATIONS));
    for (const m of applied) m.apply(rnd, config);
    return { id, env: base.env, mutations: applied.map((m) => m.name), text: YAML.stringify({ config }) };
  });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-fuzz-'));
const CASES = cases(420);

describe('fuzzed environment files (issue 14)', () => {
  const outcomes = { accepted: 0, rejected: 0 };
  afterAll(() => {
    // Most mutations must be caught; a few (a value replaced by another valid one) are accepted.
    expect(outcomes.rejected).toBeGreaterThan(300);
    expect(outcomes.accepted + outcomes.rejected).toBe(CASES.length);
  });

  test.each(CASES.map((c) => [c.id, c.env, c.mutations.join(' + '), c]))('#%i %s: %s', (_id, _env, _m, c) => {
    const file = path.join(dir, String(c.id), `Pulumi.${c.env}.yaml`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, c.text);
    const started = Date.now();
    let problems: readonly string[] | undefined;
    try {
      loadEnvironmentFile(file);
      outcomes.accepted++;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems = e.problems;
      outcomes.rejected++;
    }
    expect(Date.now() - started).toBeLessThan(3000);
    for (const p of problems ?? []) {
      // One line per problem, naming the file and a key (or a line), never a whole huge value, never raw NUL.
      for (const line of p.split('\n')) {
        expect(line).toMatch(new RegExp(`^Pulumi\\.${c.env}\\.yaml(:\\d+)?(:\\d+)?: (mesh:|key |the file |invalid YAML)`));
        expect(line.length).toBeLessThan(700);
        expect(line).not.toContain('\u0000');
        expect(line).not.toMatch(/token@|ghp_secret/);
      }
    }
  });

  test('a handful of rejected files through the real synthesize(): the output folder stays byte-identical', () => {
    const outdir = path.join(dir, 'out');
    const configDir = path.join(dir, 'config');
    fs.mkdirSync(configDir, { recursive: true });
    // A previous output, as dist/ holds it.
    for (const env of ['dev', 'staging', 'prod']) {
      fs.mkdirSync(path.join(outdir, env, 'platform'), { recursive: true });
      fs.writeFileSync(path.join(outdir, env, 'platform', 'objects.yaml'), `# ${env}\n`);
    }
    const snapshot = () =>
      fs
        .readdirSync(outdir, { recursive: true, withFileTypes: true })
        .map((d) => `${path.relative(outdir, path.join(d.parentPath ?? (d as unknown as { path: string }).path, d.name))}`)
        .sort()
        .map((f) => `${f}:${fs.statSync(path.join(outdir, f)).isFile() ? fs.readFileSync(path.join(outdir, f), 'utf8') : 'dir'}`)
        .join('\n');
    const before = snapshot();
    const rejected = CASES.filter((c) => {
      try {
        loadEnvironmentFile(path.join(dir, String(c.id), `Pulumi.${c.env}.yaml`));
        return false;
      } catch {
        return true;
      }
    }).slice(0, 8);
    expect(rejected).toHaveLength(8);
    for (const c of rejected) {
      for (const f of fs.readdirSync(configDir)) fs.rmSync(path.join(configDir, f));
      fs.copyFileSync(path.join(REPO_ROOT, 'Pulumi.dev.yaml'), path.join(configDir, 'Pulumi.dev.yaml'));
      fs.writeFileSync(path.join(configDir, `Pulumi.${c.env}.yaml`), c.text);
      expect(() => synthesize({ configDir, outdir, environments: [c.env] })).toThrow(SynthError);
      expect(snapshot()).toBe(before);
    }
  });
});
