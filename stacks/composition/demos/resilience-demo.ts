import { Duration } from 'cdk8s';
import { FaultInjection, RetryOn } from '../../../constructs';
import type { AppDeclaration } from '../../environments/apps';

/** Scenario S4's retry conditions: the HTTP ones and the gRPC ones. */
export const S4_RETRY_ON: readonly RetryOn[] = [
  RetryOn.FIVE_XX,
  RetryOn.GATEWAY_ERROR,
  RetryOn.RESET,
  RetryOn.CONNECT_FAILURE,
  RetryOn.CANCELLED,
  RetryOn.DEADLINE_EXCEEDED,
  RetryOn.INTERNAL,
  RetryOn.UNAVAILABLE,
];

/**
 * The faults S4 tests with, injected only into requests carrying `x-fault-test: true`: half of them
 * answered 503, a tenth delayed 2s, as if httpbin failed or slowed down. The calling proxy injects them
 * before routing, so they exercise the caller's handling of failures: an injected 503 is not retried and
 * never reaches httpbin (outlier detection does not count it), and an injected delay is not cut by the
 * route's timeouts.
 */
export const S4_FAULTS: FaultInjection = {
  abort: { httpStatus: 503, percentage: 50 },
  delay: { fixedDelay: Duration.seconds(2), percentage: 10 },
};

/** Options of {@link s4Resilience}. */
export interface S4ResilienceOptions {
  /** httpbin is under a Flagger release (scenario S3), which owns its routing. */
  readonly canaried: boolean;
  /** The environment allows fault injection (mesh:resilience.allowFaults). */
  readonly allowFaults: boolean;
}

/**
 * Scenario S4 on httpbin, as the `resilience` of a `mesh:apps` entry: retries (3 attempts, 1s per try,
 * within an 8s timeout, on 5xx, gateway-error, reset, connect-failure and the gRPC conditions) and the
 * circuit breaker (1 connection, 1 pending request, 1 request per connection; eject a host after 1 5xx,
 * sweeping every 1s, for 3m, up to 100 % of hosts); the header-scoped faults where the environment allows them.
 *
 * Under a Flagger release the policy goes into the Canary's `spec.service`, without what Flagger's Canary
 * cannot carry (its connection pool is HTTP only, and it has no fault injection): the TCP connection limit
 * and the faults are left out, and {@link s4Warning} says so.
 */
export function s4Resilience(options: S4ResilienceOptions): NonNullable<AppDeclaration['resilience']> {
  return {
    timeout: '8s',
    retries: { attempts: 3, perTryTimeout: '1s', retryOn: S4_RETRY_ON.map((r) => r.name) },
    circuitBreaker: {
      maxConnections: options.canaried ? undefined : 1,
      maxPendingRequests: 1,
      maxRequestsPerConnection: 1,
      consecutive5xxErrors: 1,
      interval: '1s',
      baseEjectionTime: '3m',
      maxEjectionPercent: 100,
    },
    faults:
      options.allowFaults && !options.canaried
        ? {
            abort: { httpStatus: S4_FAULTS.abort!.httpStatus!, percentage: S4_FAULTS.abort!.percentage },
            delay: { fixedDelay: '2s', percentage: S4_FAULTS.delay!.percentage },
          }
        : undefined,
  };
}

/** What S4 leaves out on a canaried httpbin, as a synth warning; `undefined` when nothing is left out. */
export function s4Warning(options: S4ResilienceOptions & { readonly release: string }): string | undefined {
  if (!options.canaried) return undefined;
  const left = ['TCP maxConnections 1', ...(options.allowFaults ? ['the header-scoped faults'] : [])];
  return `scenario S4's ${left.join(' and ')} cannot be applied: ${options.release} owns the routing of 'httpbin' and Flagger's Canary carries no TCP connection pool nor faults; the rest of S4 is in the Canary's spec.service. Without the CanaryRelease (mesh:canary.httpbinCanary.enabled: false) S4 renders in full`;
}
