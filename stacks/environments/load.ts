import * as fs from 'node:fs';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { z } from 'zod';
import { DNS_LABEL } from '../../constructs/core/errors';
import { presets, tierOfStackName } from './presets';
import { EnvironmentConfig, environmentSchema, tiers } from './schema';
import { duplicateKeyProblems, environmentRuleProblems, MAX_CONFIG_BYTES, prototypeKeyProblems, quoteValue } from './rules';

/** The Pulumi project name, and so the namespace of every configuration key (`mesh:workloads`). */
export const CONFIG_NAMESPACE = 'mesh';

/** Namespaces of keys that belong to Pulumi or its providers: allowed in the file, not ours to read. */
const FOREIGN_NAMESPACES = ['kubernetes', 'pulumi'];

/** Configuration that cannot be used; one line per problem, each naming the file, key, value and fix. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/**
 * Validates one environment's configuration values (the `config:` map of `Pulumi.<env>.yaml`, keys
 * with their `mesh:` namespace) and completes them from the tier's preset.
 *
 * @param name the environment (stack) name
 * @param values the raw key/value map
 * @param source what to name in errors, usually the file name
 */
export function parseEnvironment(name: string, values: Record<string, unknown>, source: string): EnvironmentConfig {
  const problems: string[] = prototypeKeyProblems(values, source);
  if (!DNS_LABEL.test(name)) {
    problems.push(
      `${source}: environment name ${JSON.stringify(name)} must be a DNS-1123 label (lowercase letters, digits, '-'), because it names folders and Kubernetes objects`,
    );
  }
  const ours: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    const [namespace, local] = key.includes(':') ? [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)] : ['', key];
    if (namespace === CONFIG_NAMESPACE) ours[local] = value;
    else if (!FOREIGN_NAMESPACES.includes(namespace)) {
      problems.push(
        `${source}: key ${JSON.stringify(key)} is not a configuration key of this project; write it as ${CONFIG_NAMESPACE}:${local} (keys: ${Object.keys(
          environmentSchema.shape,
        )
          .map((k) => `${CONFIG_NAMESPACE}:${k}`)
          .join(', ')})`,
      );
    }
  }
  const tier = ours.tier ?? tierOfStackName[name];
  if (tier === undefined) {
    problems.push(
      `${source}: ${CONFIG_NAMESPACE}:tier is required for environment ${JSON.stringify(name)} (only dev, staging and prod imply one); set it to one of ${tiers.join(', ')}`,
    );
  } else if (!(tiers as readonly unknown[]).includes(tier)) {
    problems.push(`${source}: ${CONFIG_NAMESPACE}:tier: ${JSON.stringify(tier)} is not allowed; expected one of ${tiers.join(', ')}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const merged = deepMerge(presets[tier as keyof typeof presets], ours);
  const result = environmentSchema.safeParse(merged, { reportInput: true });
  if (!result.success) throw new ConfigError(result.error.issues.map((issue) => describeIssue(source, issue)));
  const ruleProblems = environmentRuleProblems(result.data, source, CONFIG_NAMESPACE);
  if (ruleProblems.length > 0) throw new ConfigError(ruleProblems);
  return { name, ...result.data };
}

/** Reads and validates `Pulumi.<env>.yaml`. */
export function loadEnvironmentFile(file: string): EnvironmentConfig {
  const source = path.basename(file);
  const match = /^Pulumi\.(.+)\.ya?ml$/.exec(source);
  if (!match) throw new ConfigError([`${source}: an environment file must be named Pulumi.<env>.yaml`]);
  let text: string;
  try {
    // Refused before reading: a real environment file is a few kB, and parsing a huge one would take minutes.
    const size = fs.statSync(file).size;
    if (size > MAX_CONFIG_BYTES) {
      throw new ConfigError([
        `${source}: the file is ${size} bytes, above the limit of ${MAX_CONFIG_BYTES} bytes (1 MiB) for an environment file; a real one is a few kB: remove what was pasted or generated into it`,
      ]);
    }
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError([`${source}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`]);
  }
  // Duplicate keys are found in one pass below; the parser's own check is quadratic in the number of keys.
  const lines = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { uniqueKeys: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map(
        (e) =>
          `${source}:${e.linePos?.[0].line ?? '?'}:${e.linePos?.[0].col ?? '?'}: invalid YAML: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`,
      ),
    );
  }
  const duplicates = duplicateKeyProblems(doc, lines, source);
  if (duplicates.length > 0) throw new ConfigError(duplicates);
  let content: unknown;
  try {
    content = doc.toJS() ?? {};
  } catch (e) {
    // Aliases: an undefined one, or so many (a billion laughs) that expanding them would exhaust memory.
    throw new ConfigError([
      `${source}: invalid YAML: ${e instanceof Error ? e.message : String(e)}; write the values out instead of using many aliases (*name)`,
    ]);
  }
  if (!isPlainObject(content)) throw new ConfigError([`${source}: expected a mapping with a 'config:' key, got ${describeValue(content)}`]);
  const unknownTop = Object.keys(content).filter((k) => !['config', 'secretsprovider', 'encryptionsalt', 'environment'].includes(k));
  if (unknownTop.length > 0) {
    throw new ConfigError(
      unknownTop.map(
        (k) =>
          `${source}: top-level key ${JSON.stringify(k)} is not part of a Pulumi stack file; put settings under 'config:' as ${CONFIG_NAMESPACE}:<key>`,
      ),
    );
  }
  const config = content.config ?? {};
  if (!isPlainObject(config))
    throw new ConfigError([`${source}: 'config' must be a mapping of keys to values, got ${describeValue(config)}`]);
  return parseEnvironment(match[1], config, source);
}

/** The environments defined in a folder: every `Pulumi.<env>.yaml`, sorted by name. */
export function listEnvironmentFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^Pulumi\.[^.]+\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** The environment name of `Pulumi.<env>.yaml`. */
export function environmentNameOf(file: string): string {
  return path
    .basename(file)
    .replace(/^Pulumi\./, '')
    .replace(/\.ya?ml$/, '');
}

function describeIssue(source: string, issue: z.core.$ZodIssue): string {
  const key = `${CONFIG_NAMESPACE}:${issue.path.map(String).join('.')}`;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeysAt(issue.path);
      return issue.keys
        .map((k) => {
          const hint = closest(k, allowed);
          return `${source}: ${issue.path.length > 0 ? `${key}.` : `${CONFIG_NAMESPACE}:`}${k}: unknown key${hint ? `; did you mean '${hint}'?` : ''} (allowed: ${allowed.join(', ')})`;
        })
        .join('\n');
    }
    case 'invalid_value':
      return `${source}: ${key}: ${describeValue(issue.input)} is not allowed; expected one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_type':
      return `${source}: ${key}: expected ${issue.expected}, got ${describeValue(issue.input)}`;
    case 'custom':
      return `${source}: ${key}: ${issue.message}`;
    case 'invalid_key':
      // A record key (an env variable or header name) that its key schema refuses: that schema's message, not zod's generic one.
      return `${source}: ${key}: key ${issue.issues.map((i) => i.message).join('; ')}, got ${describeValue(issue.input)}`;
    default:
      return `${source}: ${key}: ${issue.message}, got ${describeValue(issue.input)}`;
  }
}

function allowedKeysAt(keyPath: readonly PropertyKey[]): string[] {
  let schema: z.ZodType | undefined = environmentSchema;
  for (const segment of keyPath) {
    // A record (mesh:apps: namespace -> app) or a list (ports) stands for any key or index.
    const inner: z.ZodType | undefined = schema && collectionOf(schema);
    schema = inner ?? (typeof segment === 'string' ? shapeOf(schema!)?.[segment] : undefined);
    if (!schema) return [];
  }
  const shape = schema && shapeOf(schema);
  return shape ? Object.keys(shape) : [];
}

/** The keys of an object schema, seen through optional, default and nullable wrappers. */
function shapeOf(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  const def = schema._zod.def as { type: string; innerType?: z.ZodType; shape?: Record<string, z.ZodType> };
  if (def.type === 'object') return def.shape;
  return def.innerType ? shapeOf(def.innerType) : undefined;
}

/** The value schema of a record or the element schema of a list, seen through wrappers; undefined for anything else. */
function collectionOf(schema: z.ZodType): z.ZodType | undefined {
  const def = schema._zod.def as { type: string; innerType?: z.ZodType; valueType?: z.ZodType; element?: z.ZodType };
  if (def.type === 'record') return def.valueType;
  if (def.type === 'array') return def.element;
  return def.innerType ? collectionOf(def.innerType) : undefined;
}

/** The allowed key within edit distance 2 of a misspelled one, if any. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return `a list ${quoteValue(value)}`;
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${typeof value === 'string' ? quoteValue(value) : (JSON.stringify(value) ?? String(value))}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Objects merge key by key; anything else in `override` (lists included) replaces the base. */
function deepMerge(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) out[k] = deepMerge(base[k], v);
  return out;
}
