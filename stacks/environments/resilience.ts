import { z } from 'zod';
import { DurationSyntax } from '../../constructs/core/duration';
import { goDuration } from '../../constructs/core/go-duration';
import { ResilienceDefaults, RetryOn } from '../../constructs/traffic/resilient-route';

/** An Istio duration in one unit: `500ms`, `1s`, `3m`, `1h` (at least 1ms): {@link DurationSyntax.SINGLE_UNIT}. */
const DURATION = DurationSyntax.SINGLE_UNIT.pattern;

const duration = z.string().regex(DURATION, 'must be a duration of at least 1ms in one unit, such as 500ms, 2s or 3m');

/** Milliseconds of a duration that matched {@link DURATION}. */
function millis(text: string): number {
  return goDuration(text).toMilliseconds();
}

/**
 * `mesh:resilience`: the resilience defaults of an environment's routes (each `ResilientRoute` can
 * override them) and whether fault injection is allowed there.
 */
export const resilienceSchema = z
  .strictObject({
    /** Request timeout of routes that set none, retries included. */
    timeout: duration,
    /** Retries of routes that set none. */
    retries: z.strictObject({
      /** Retries per request; 0 disables retries. */
      attempts: z.number().int().min(0).max(10),
      /** Timeout of each attempt; at most `timeout`. */
      perTryTimeout: duration,
      /** Retry conditions (Istio `retryOn` names: 5xx, gateway-error, reset, connect-failure, ...). */
      retryOn: z.array(z.enum(RetryOn.ALL.map((r) => r.name) as [string, ...string[]])).min(1),
    }),
    /** Ejection of failing hosts for routes that set none. */
    outlierDetection: z.strictObject({
      /** Consecutive 5xx responses that eject a host. */
      consecutive5xxErrors: z.number().int().min(0).optional(),
      /** Consecutive 502/503/504 responses that eject a host. */
      consecutiveGatewayErrors: z.number().int().min(0).optional(),
      /** Time between ejection sweeps. */
      interval: duration,
      /** Minimum ejection time. */
      baseEjectionTime: duration,
      /** Most hosts ejected at once, percent. */
      maxEjectionPercent: z.number().int().min(0).max(100),
      /** Ejection pauses while fewer than this share of hosts is healthy, percent (Istio's default 0: never). */
      minHealthPercent: z.number().int().min(0).max(100).optional(),
    }),
    /** Allow fault injection (delays, aborts) in this environment; production refuses it unless set. */
    allowFaults: z.boolean(),
  })
  .superRefine((r, ctx) => {
    // Runs even when a field failed its own check: compare only durations that are well formed.
    if (!DURATION.test(r.timeout) || !DURATION.test(r.retries?.perTryTimeout)) return;
    if (millis(r.retries.perTryTimeout) > millis(r.timeout)) {
      ctx.addIssue({
        code: 'custom',
        path: ['retries', 'perTryTimeout'],
        message: `perTryTimeout ${r.retries.perTryTimeout} exceeds timeout ${r.timeout}, so no attempt could use it; lower it to at most the timeout`,
        input: r.retries.perTryTimeout,
      });
    }
  });

/** The `mesh:resilience` section, validated. */
export type ResilienceSettings = z.output<typeof resilienceSchema>;

/** The config key that allows fault injection, as routes name it in their errors. */
export const ALLOW_FAULTS_SETTING = 'mesh:resilience.allowFaults: true';

/** Turns the configuration section into the defaults routes take (`ResilientRouteProps.defaults`). */
export function resilienceDefaults(r: ResilienceSettings): ResilienceDefaults {
  const od = r.outlierDetection;
  return {
    timeout: goDuration(r.timeout),
    retries: {
      attempts: r.retries.attempts,
      perTryTimeout: goDuration(r.retries.perTryTimeout),
      retryOn: r.retries.retryOn.map((name) => RetryOn.fromName(name)!),
    },
    outlierDetection: {
      consecutive5xxErrors: od.consecutive5xxErrors,
      consecutiveGatewayErrors: od.consecutiveGatewayErrors,
      interval: goDuration(od.interval),
      baseEjectionTime: goDuration(od.baseEjectionTime),
      maxEjectionPercent: od.maxEjectionPercent,
      minHealthPercent: od.minHealthPercent,
    },
    allowFaults: r.allowFaults,
    allowFaultsSetting: ALLOW_FAULTS_SETTING,
  };
}
