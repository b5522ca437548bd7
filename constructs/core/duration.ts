import { Duration } from 'cdk8s';

/** A unit of a duration written as text (`5m`, `1h30m`, `15d`). */
export type DurationUnit = 'y' | 'w' | 'd' | 'h' | 'm' | 's' | 'ms' | 'us' | 'µs' | 'ns';

const DAY = 86_400_000;

/** Milliseconds per unit (a Prometheus year is 365 days, a week 7). */
export const DURATION_UNIT_MILLIS: Readonly<Record<DurationUnit, number>> = {
  y: 365 * DAY,
  w: 7 * DAY,
  d: DAY,
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 0.000001,
};

/**
 * How a tool writes durations: the units it reads and whether amounts may have fractions. Every duration
 * of the platform is parsed with one of these, so `30m` is thirty minutes wherever it is written.
 */
export class DurationSyntax {
  /** Go's `time.ParseDuration` to the millisecond, as Flux, Kubernetes controllers and Flagger read it: `30s`, `5m`, `1h30m`, `1.5h`. */
  static readonly GO = new DurationSyntax('Go', ['h', 'm', 's', 'ms'], true, false);
  /** Go's full syntax, sub-millisecond units included, as Istio reads its durations: `1.5s`, `250ms`, `100us`. */
  static readonly GO_PRECISE = new DurationSyntax('Go', ['h', 'm', 's', 'ms', 'us', 'µs', 'ns'], true, false);
  /** Prometheus's: whole amounts of `y`, `w`, `d`, `h`, `m`, `s`, `ms`, largest unit first: `15d`, `4w`, `1h30m`. */
  static readonly PROMETHEUS = new DurationSyntax('Prometheus', ['y', 'w', 'd', 'h', 'm', 's', 'ms'], false, true);
  /**
   * How the environment files spell Istio's route durations: one positive whole amount of `h`, `m`, `s` or `ms`
   * (`500ms`, `2s`, `3m`; at least 1ms), a subset of {@link GO_PRECISE}.
   */
  static readonly SINGLE_UNIT = new DurationSyntax('Istio', ['h', 'm', 's', 'ms'], false, false, true);

  /** Matches a whole duration of this syntax. */
  readonly pattern: RegExp;
  private readonly token: RegExp;

  private constructor(
    /** The tool, named in errors. */
    readonly name: string,
    /** The units, largest first. */
    readonly units: readonly DurationUnit[],
    /** Whether amounts may have fractions (`1.5h`). */
    readonly fractions: boolean,
    /** Whether the units must come largest first, each once (Prometheus), or in any order (Go). */
    private readonly ordered: boolean,
    /** Whether a duration is one positive amount of one unit (`90s`, never `1m30s` nor `0s`). */
    single = false,
  ) {
    // Longest unit names first, so that `ms` is never read as `m` followed by `s`.
    const alternation = [...units].sort((a, b) => b.length - a.length).join('|');
    const amount = single ? '[1-9][0-9]*' : fractions ? '[0-9]+(?:\\.[0-9]+)?' : '[0-9]+';
    this.pattern = new RegExp(single ? `^${amount}(?:${alternation})$` : `^(?:${amount}(?:${alternation}))+$`);
    this.token = new RegExp(`(${amount})(${alternation})`, 'g');
  }

  /** The milliseconds `text` stands for (fractions kept), or `undefined` when it is not a duration of this syntax. */
  millisOf(text: unknown): number | undefined {
    if (typeof text !== 'string' || !this.pattern.test(text)) return undefined;
    let millis = 0;
    let previous = -1;
    for (const [, amount, unit] of text.matchAll(this.token)) {
      const rank = this.units.indexOf(unit as DurationUnit);
      if (this.ordered && rank <= previous) return undefined;
      previous = rank;
      millis += Number(amount) * DURATION_UNIT_MILLIS[unit as DurationUnit];
    }
    return millis;
  }

  /**
   * Parses `text` into a {@link Duration} (to the millisecond). Returns `undefined` when it is not a duration
   * of this syntax, so that callers can name the bad value, the config key and the fix in their error.
   */
  parse(text: unknown): Duration | undefined {
    const millis = this.millisOf(text);
    return millis === undefined ? undefined : Duration.millis(Math.round(millis));
  }
}

/** How {@link formatDuration} writes a duration. */
export interface DurationFormat {
  /** The units it may use, largest first. */
  readonly units: readonly DurationUnit[];
  /**
   * Whether it writes every unit, largest first (`1h30m`), or one unit: the largest the duration is a whole
   * number of (`90m`), falling back to milliseconds.
   */
  readonly compound: boolean;
}

/** Writes a duration, e.g. `formatDuration(Duration.minutes(90), { units: ['h', 'm'], compound: true })` is `1h30m`. */
export function formatDuration(duration: Duration, format: DurationFormat): string {
  if (!format.compound) {
    const total = duration.toMilliseconds({ integral: false });
    for (const unit of format.units) {
      const size = DURATION_UNIT_MILLIS[unit];
      if (total >= size && total % size === 0) return `${total / size}${unit}`;
    }
    return `${total}ms`;
  }
  let millis = duration.toMilliseconds();
  if (millis === 0) return '0s';
  let out = '';
  for (const unit of format.units) {
    const size = DURATION_UNIT_MILLIS[unit];
    const count = Math.floor(millis / size);
    if (count > 0) {
      out += `${count}${unit}`;
      millis -= count * size;
    }
  }
  return out;
}
