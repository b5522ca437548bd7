import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { FaultInjection, IMeshGateway, IRoutableMeshApp, ResilienceDefaults, ResilientRoute, RetryOn, warn } from '../../constructs';
import { Layer, LayerChart } from '../layer';

/** Properties of a {@link ResilienceDemoChart}. */
export interface ResilienceDemoChartProps {
  /** The demo httpbin (scenario S2's), whose traffic gets scenario S4's policy. */
  readonly httpbin: IRoutableMeshApp;
  /** The environment's resilience defaults and fault policy. */
  readonly defaults: ResilienceDefaults;
  /**
   * Gateways httpbin is exposed through.
   * @default - mesh-internal traffic only
   */
  readonly gateways?: readonly IMeshGateway[];
}

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

/**
 * Scenario S4 on httpbin: retries (3 attempts, 1s per try, within an 8s timeout, on 5xx,
 * gateway-error, reset, connect-failure and the gRPC conditions) and the circuit breaker (1
 * connection, 1 pending request, 1 request per connection; eject a host after 1 5xx, sweeping every
 * 1s, for 3m, up to 100 % of hosts), with `outlierDetection` beside `connectionPool` where Istio reads
 * it. Header-scoped faults are added where the environment allows them.
 *
 * When httpbin is under a CanaryRelease (scenario S3), the policy goes into the Canary's
 * `spec.service` instead, without what Flagger's Canary cannot carry (its `trafficPolicy.connectionPool`
 * has `http` only, and it has no fault injection): the TCP connection limit and the faults are left
 * out, with a synth warning that says so.
 */
export class ResilienceDemoChart extends LayerChart {
  /** httpbin's route. */
  readonly route: ResilientRoute;

  constructor(scope: Construct, id: string, props: ResilienceDemoChartProps) {
    super(scope, id, { layer: Layer.APPS, namespace: props.httpbin.namespace });
    const canaried = props.httpbin.routingController !== undefined;
    this.route = new ResilientRoute(this, 'httpbin', {
      app: props.httpbin,
      timeout: Duration.seconds(8),
      retries: { attempts: 3, perTryTimeout: Duration.seconds(1), retryOn: S4_RETRY_ON },
      // Flagger's Canary carries an HTTP connection pool only: a canaried httpbin gets no TCP limit.
      connectionPool: {
        tcp: canaried ? undefined : { maxConnections: 1 },
        http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 },
      },
      outlierDetection: {
        consecutive5xxErrors: 1,
        interval: Duration.seconds(1),
        baseEjectionTime: Duration.minutes(3),
        maxEjectionPercent: 100,
      },
      // A canaried httpbin's VirtualService is Flagger's, which has no fault injection.
      faults: props.defaults.allowFaults && !canaried ? S4_FAULTS : undefined,
      gateways: canaried ? undefined : props.gateways,
      defaults: props.defaults,
    });
    if (canaried) {
      const left = ['TCP maxConnections 1', ...(props.defaults.allowFaults ? ['the header-scoped faults'] : [])];
      warn(
        this.route,
        `scenario S4's ${left.join(' and ')} cannot be applied: ${props.httpbin.routingController!.node.path} owns the routing of '${props.httpbin.name}' and Flagger's Canary carries no TCP connection pool nor faults; the rest of S4 is in the Canary's spec.service. Without the CanaryRelease (mesh:canary.httpbinCanary.enabled: false) S4 renders in full`,
      );
    }
  }
}
