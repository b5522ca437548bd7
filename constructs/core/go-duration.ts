import { Duration } from 'cdk8s';
import { DurationSyntax, formatDuration } from './duration';

/** A Go duration as Flux and Kubernetes controllers read it: `30s`, `5m`, `1h30m`, `1.5h` ({@link DurationSyntax.GO}). */
export const GO_DURATION = DurationSyntax.GO.pattern;

/**
 * Parses a Go duration (`5m`, `1h30m`, `90s`) into a cdk8s {@link Duration}.
 * Returns `undefined` when the text is not one, so that callers can name the bad value in their error.
 */
export function parseGoDuration(text: string): Duration | undefined {
  return DurationSyntax.GO.parse(text);
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
  return formatDuration(duration, { units: ['h', 'm', 's', 'ms'], compound: true });
}
