import { Duration } from 'cdk8s';

/** A Go duration as Flux and Kubernetes controllers read it: `30s`, `5m`, `1h30m`, `1.5h`. */
export const GO_DURATION = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;

const UNIT_MILLIS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a Go duration (`5m`, `1h30m`, `90s`) into a cdk8s {@link Duration}.
 * Returns `undefined` when the text is not one, so that callers can name the bad value in their error.
 */
export function parseGoDuration(text: string): Duration | undefined {
  if (!GO_DURATION.test(text)) return undefined;
  let millis = 0;
  for (const [, amount, , unit] of text.matchAll(/([0-9]+(\.[0-9]+)?)(ms|s|m|h)/g)) millis += Number(amount) * UNIT_MILLIS[unit];
  return Duration.millis(Math.round(millis));
}

/**
 * A Go duration that was already validated (by a config schema) as a {@link Duration}. Throws when it is
 * not one: reaching that is a bug, never a silent default.
 */
export function goDuration(text: string): Duration {
  const duration = parseGoDuration(text);
  if (!duration) throw new Error(`'${text}' is not a Go duration such as 30s, 5m or 1h30m`);
  return duration;
}

/** Renders a duration the way Flux prints its own defaults: the largest whole units, e.g. `5m`, `1h30m`, `45s`. */
export function formatGoDuration(duration: Duration): string {
  let millis = duration.toMilliseconds();
  if (millis === 0) return '0s';
  let out = '';
  for (const unit of ['h', 'm', 's', 'ms'] as const) {
    const size = UNIT_MILLIS[unit];
    const count = Math.floor(millis / size);
    if (count > 0) {
      out += `${count}${unit}`;
      millis -= count * size;
    }
  }
  return out;
}
