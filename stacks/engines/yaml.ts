import * as YAML from 'yaml';

/**
 * The options cdk8s's `Yaml.stringify` passes to the `yaml` package: YAML 1.1, so that strings a YAML 1.1
 * reader (kubectl, kustomize) would take for booleans, nulls or numbers (`yes`, `on`, `n`, `~`, `0755`, ...)
 * stay quoted; no line folding.
 */
const OPTIONS: YAML.ToStringOptions & YAML.DocumentOptions & YAML.CreateNodeOptions = { keepUndefined: true, lineWidth: 0, version: '1.1' };

/** Thrown inside the fast path when a value needs the `yaml` package's full layout (block scalars). */
class NeedsFullEmitter extends Error {}

// How the `yaml` package writes one scalar in each context, asked once per distinct value: the fast path
// only lays out maps and sequences, so every quoting decision stays the package's own.
const keyCache = new Map<string, string>();
const valueCache = new Map<unknown, string>();

function keyText(key: string): string {
  let text = keyCache.get(key);
  if (text === undefined) {
    const doc = YAML.stringify({ [key]: 0 }, OPTIONS);
    if (!doc.endsWith(': 0\n') || doc.indexOf('\n') !== doc.length - 1) throw new NeedsFullEmitter();
    text = doc.slice(0, -4);
    keyCache.set(key, text);
  }
  return text;
}

/**
 * Strings the `yaml` package writes plain, known without asking it: a letter, then letters, digits and `._/:-`, longer
 * than any YAML 1.1 boolean or null (`false`, `FALSE`), so never read as one, nor as a number or a time (no leading
 * digit or sign); a `:` inside is plain where no space follows it (images `registry/app:1.2.3`, URLs), not at the end.
 */
const PLAIN = /^[A-Za-z][A-Za-z0-9._/:-]{4,}[A-Za-z0-9._/-]$/;

function scalarText(value: string | number | boolean | null): string {
  if (typeof value === 'string' && PLAIN.test(value)) return value;
  // (A Map does not tell -0 from 0, which YAML writes differently.)
  const cacheable = !Object.is(value, -0);
  let text = cacheable ? valueCache.get(value) : undefined;
  if (text === undefined) {
    const doc = YAML.stringify({ k: value }, OPTIONS);
    // A value written over several lines (a block scalar) is laid out relative to its indentation.
    if (!doc.startsWith('k: ') || doc.indexOf('\n') !== doc.length - 1) throw new NeedsFullEmitter();
    text = doc.slice(3, -1);
    if (cacheable) valueCache.set(value, text);
  }
  return text;
}

function isScalar(v: unknown): v is string | number | boolean | null {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** Appends the entries of a map (`keys`, at least one), each line at `indent` (the first one's indentation written when `inline`). */
function emitMap(out: string[], map: Record<string, unknown>, keys: readonly string[], indent: string, inline: boolean): void {
  for (let i = 0; i < keys.length; i++) {
    const value = map[keys[i]];
    out.push(i === 0 && inline ? '' : indent, keyText(keys[i]), ':');
    emitValue(out, value === undefined ? null : value, indent, false);
  }
}

/**
 * Appends a value after `key:` (`inSeq` false) or after `-` (`inSeq` true), then its end of line. A map's keys are
 * listed once, for both the test of emptiness and the entries.
 */
function emitValue(out: string[], value: unknown, indent: string, inSeq: boolean): void {
  if (isScalar(value)) {
    out.push(' ', scalarText(value), '\n');
  } else if (typeof value !== 'object') {
    throw new NeedsFullEmitter();
  } else if (Array.isArray(value)) {
    if (value.length === 0) out.push(' []\n');
    else {
      out.push(inSeq ? ' ' : '\n');
      emitSeq(out, value, `${indent}  `, inSeq);
    }
  } else {
    const keys = Object.keys(value as object);
    if (keys.length === 0) out.push(' {}\n');
    else {
      out.push(inSeq ? ' ' : '\n');
      emitMap(out, value as Record<string, unknown>, keys, `${indent}  `, inSeq);
    }
  }
}

function emitSeq(out: string[], seq: readonly unknown[], indent: string, inline: boolean): void {
  seq.forEach((item, i) => {
    out.push(i === 0 && inline ? '' : indent, '-');
    emitValue(out, item === undefined ? null : item, indent, true);
  });
}

/** One document, laid out here when it holds only maps, sequences and one-line scalars. */
function fastDocument(doc: unknown): string | undefined {
  if (typeof doc !== 'object' || doc === null) return undefined;
  const out: string[] = [];
  try {
    if (Array.isArray(doc)) {
      if (doc.length === 0) return undefined;
      emitSeq(out, doc, '', false);
    } else {
      const keys = Object.keys(doc);
      if (keys.length === 0) return undefined;
      emitMap(out, doc as Record<string, unknown>, keys, '', false);
    }
  } catch (e) {
    if (e instanceof NeedsFullEmitter) return undefined;
    throw e;
  }
  return out.join('');
}

/**
 * The same text as cdk8s's `Yaml.stringify(...docs)` (documents separated by `---`, YAML 1.1 quoting), faster:
 * maps and sequences of plain data are laid out directly, and each distinct scalar and key is written by the
 * `yaml` package once and reused. A document with a multi-line string is written entirely by the package.
 */
export function stringifyYaml(...docs: unknown[]): string {
  return docs.map((d) => (d === undefined ? '\n' : (fastDocument(d) ?? YAML.stringify(d, OPTIONS)))).join('---\n');
}
