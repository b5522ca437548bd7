/**
 * Kubernetes resource quantities (`250m`, `0.5`, `1536Ki`, `1e3`, `2G`), parsed exactly as the API server's grammar
 * reads them: a signed decimal number followed by a binary suffix (Ki Mi Gi Ti Pi Ei), a decimal suffix
 * (m, none, k M G T P E) or a decimal exponent (`e3`, `E-2`). Values are kept as exact fractions (BigInt), so that
 * a value the API server would round or cap (finer than 1m, beyond int64) is reported instead of changed.
 */

/** The largest value the API server stores without capping it (int64). */
export const QUANTITY_MAX = 2n ** 63n - 1n;

/** Longest quantity text accepted (no real quantity comes near it; keeps BigInt work small). */
const MAX_TEXT = 64;

/** Largest decimal exponent accepted (`1e18` is already beyond int64 in milli units). */
const MAX_EXPONENT = 30;

const GRAMMAR = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E))?$/;

const BINARY: Record<string, bigint> = { Ki: 1n, Mi: 2n, Gi: 3n, Ti: 4n, Pi: 5n, Ei: 6n };
const DECIMAL: Record<string, number> = { m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** A parsed quantity: its exact value as `numerator / denominator` (denominator > 0). */
export interface Quantity {
  /** The text as written. */
  readonly text: string;
  /** Numerator of the exact value. */
  readonly numerator: bigint;
  /** Denominator of the exact value (a power of ten), always positive. */
  readonly denominator: bigint;
}

/**
 * Parses a quantity, or returns why it is none.
 *
 * @param text the quantity as written in a manifest or configuration
 * @returns the quantity, or a message (what is wrong, with examples)
 */
export function parseQuantity(text: string): Quantity | string {
  if (text.length > MAX_TEXT) return `is ${text.length} characters long; a quantity is a number with a unit, such as 250m or 128Mi`;
  const m = GRAMMAR.exec(text);
  if (!m) return 'is not a Kubernetes quantity; write a number with an optional unit, such as 250m, 0.5, 128Mi or 1Gi';
  const [, sign, number, exponent, suffix = ''] = m;
  const [whole, fraction = ''] = number.split('.');
  let numerator = BigInt(`${whole || '0'}${fraction}`) * (sign === '-' ? -1n : 1n);
  let denominator = 10n ** BigInt(fraction.length);
  let power10 = 0;
  if (exponent !== undefined) power10 = Number(exponent.slice(1));
  else if (suffix in BINARY) numerator *= 1024n ** BINARY[suffix];
  else power10 = DECIMAL[suffix];
  if (Math.abs(power10) > MAX_EXPONENT) return `has the exponent ${power10}, beyond what Kubernetes stores (int64)`;
  if (power10 >= 0) numerator *= 10n ** BigInt(power10);
  else denominator *= 10n ** BigInt(-power10);
  return { text, numerator, denominator };
}

/** The value in thousandths (`250m` is 250), and whether that is exact (no finer precision was written). */
export function milliValue(q: Quantity): { milli: bigint; exact: boolean } {
  const scaled = q.numerator * 1000n;
  return { milli: scaled / q.denominator, exact: scaled % q.denominator === 0n };
}

/** The value in whole units (bytes for memory), and whether it is a whole number. */
export function unitValue(q: Quantity): { value: bigint; exact: boolean } {
  return { value: q.numerator / q.denominator, exact: q.numerator % q.denominator === 0n };
}

/**
 * A CPU quantity in the form the workload constructs read (`250m` or cores such as `0.5`), checked by Kubernetes'
 * rules: positive, no precision finer than 1m (the API server would round it), at most int64 millicores.
 * The text is kept when the constructs read it as written; any other valid spelling becomes millicores (`1.5k` ->
 * `1500000m`).
 *
 * @returns the normalized text, or a message
 */
export function normalizeCpu(text: string): string | { error: string } {
  const q = parseQuantity(text);
  if (typeof q === 'string') return { error: q };
  const { milli, exact } = milliValue(q);
  if (q.numerator <= 0n) return { error: 'must be positive, such as 100m' };
  if (!exact || milli < 1n)
    return { error: 'is finer than 1m (one thousandth of a core), which Kubernetes does not allow; use at least 1m' };
  if (milli > BigInt(Number.MAX_SAFE_INTEGER))
    return { error: `is ${milli}m, beyond any node's CPU (at most ${Number.MAX_SAFE_INTEGER}m); use a value such as 2 or 500m` };
  if (/^[1-9][0-9]*m$/.test(text) || /^[0-9]+(\.[0-9]+)?$/.test(text)) return text;
  return `${milli}m`;
}

/**
 * A memory quantity in the form the workload constructs read (whole `Ki`, `Mi`, `Gi` or `Ti`), checked by
 * Kubernetes' rules: positive, a whole number of bytes, at most int64 bytes. Valid spellings the constructs do
 * not read (`1G`, `1.5Gi`, `2e9`) become the largest whole binary unit; a value that is no whole number of Ki
 * is refused (containers are sized in binary units).
 *
 * @returns the normalized text, or a message
 */
export function normalizeMemory(text: string): string | { error: string } {
  const q = parseQuantity(text);
  if (typeof q === 'string') return { error: q };
  const { value, exact } = unitValue(q);
  if (q.numerator <= 0n) return { error: 'must be positive, such as 128Mi' };
  if (!exact) return { error: 'is no whole number of bytes; use binary units such as 128Mi or 1536Ki' };
  if (value > QUANTITY_MAX) return { error: `is ${value} bytes, beyond what Kubernetes stores (int64); use a value such as 1Gi` };
  if (/^[1-9][0-9]*(Ki|Mi|Gi|Ti)$/.test(text)) return text;
  if (value % 1024n !== 0n) return { error: `is ${value} bytes, no whole number of Ki; use binary units such as 128Mi or 1536Ki` };
  for (const [unit, power] of [
    ['Ti', 4n],
    ['Gi', 3n],
    ['Mi', 2n],
    ['Ki', 1n],
  ] as const) {
    if (value % 1024n ** power === 0n) return `${value / 1024n ** power}${unit}`;
  }
  return { error: 'is no whole number of Ki' };
}
