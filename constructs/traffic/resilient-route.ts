import { ApiObject, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import {
  DestinationRule,
  DestinationRuleSpecTrafficPolicy,
  DestinationRuleSpecTrafficPolicyConnectionPool,
  DestinationRuleSpecTrafficPolicyLoadBalancer,
  DestinationRuleSpecTrafficPolicyOutlierDetection,
  VirtualService,
  VirtualServiceSpecHttp,
  VirtualServiceSpecHttpMatch,
  VirtualServiceSpecHttpRetries,
} from '../../imports/networking.istio.io';
import { formatDuration } from '../core/duration';
import { invalid, warn } from '../core/errors';
import { Variant } from '../core/variant';
import { IMeshApp, ResolvedMeshPort } from '../workloads/mesh-app';
import { IMeshGateway, IRouteRenderer, IRoutingController, ITrafficPolicySource, ServiceTrafficSettings } from './traffic';

/**
 * A condition under which Istio retries a request (a `retryOn` entry of an HTTP route). The HTTP ones
 * are Envoy's `x-envoy-retry-on` policies, the gRPC ones its `x-envoy-retry-grpc-on` status codes.
 */
export class RetryOn extends Variant {
  /** Any 5xx response, or no response at all (disconnect, reset, read timeout). */
  static readonly FIVE_XX = new RetryOn('5xx');
  /** 502, 503 or 504 only. */
  static readonly GATEWAY_ERROR = new RetryOn('gateway-error');
  /** No response at all: disconnect, reset, read timeout. */
  static readonly RESET = new RetryOn('reset');
  /** A reset before the request was sent upstream: safe for requests that are not idempotent (Istio 1.23+). */
  static readonly RESET_BEFORE_REQUEST = new RetryOn('reset-before-request');
  /** The connection to the upstream could not be made. */
  static readonly CONNECT_FAILURE = new RetryOn('connect-failure');
  /** A 409 response. */
  static readonly RETRIABLE_4XX = new RetryOn('retriable-4xx');
  /** The upstream reset the stream with REFUSED_STREAM. */
  static readonly REFUSED_STREAM = new RetryOn('refused-stream');
  /** A status code listed with {@link RetryOn.statusCode}. */
  static readonly RETRIABLE_STATUS_CODES = new RetryOn('retriable-status-codes');
  /** A response carrying a header the upstream marks as retriable. */
  static readonly RETRIABLE_HEADERS = new RetryOn('retriable-headers');
  /** Envoy's rate limiter answered 429 with `x-envoy-ratelimited`. */
  static readonly ENVOY_RATELIMITED = new RetryOn('envoy-ratelimited');
  /** gRPC status CANCELLED. */
  static readonly CANCELLED = new RetryOn('cancelled');
  /** gRPC status DEADLINE_EXCEEDED. */
  static readonly DEADLINE_EXCEEDED = new RetryOn('deadline-exceeded');
  /** gRPC status INTERNAL. */
  static readonly INTERNAL = new RetryOn('internal');
  /** gRPC status RESOURCE_EXHAUSTED. */
  static readonly RESOURCE_EXHAUSTED = new RetryOn('resource-exhausted');
  /** gRPC status UNAVAILABLE. */
  static readonly UNAVAILABLE = new RetryOn('unavailable');

  /** Every named condition. */
  static readonly ALL: readonly RetryOn[] = [
    RetryOn.FIVE_XX,
    RetryOn.GATEWAY_ERROR,
    RetryOn.RESET,
    RetryOn.RESET_BEFORE_REQUEST,
    RetryOn.CONNECT_FAILURE,
    RetryOn.RETRIABLE_4XX,
    RetryOn.REFUSED_STREAM,
    RetryOn.RETRIABLE_STATUS_CODES,
    RetryOn.RETRIABLE_HEADERS,
    RetryOn.ENVOY_RATELIMITED,
    RetryOn.CANCELLED,
    RetryOn.DEADLINE_EXCEEDED,
    RetryOn.INTERNAL,
    RetryOn.RESOURCE_EXHAUSTED,
    RetryOn.UNAVAILABLE,
  ];

  /** Retry on one HTTP status code (Istio adds `retriable-status-codes` for it). */
  static statusCode(code: number): RetryOn {
    if (!Number.isInteger(code) || code < 100 || code > 599) {
      throw new RangeError(`RetryOn.statusCode(${code}): not an HTTP status code; use 100-599, e.g. 503`);
    }
    return new RetryOn(String(code));
  }

  /** The condition named `name` (as written in `retryOn` or in configuration), or undefined. */
  static fromName(name: string): RetryOn | undefined {
    if (/^[1-5][0-9][0-9]$/.test(name)) return RetryOn.statusCode(Number(name));
    return RetryOn.ALL.find((r) => r.name === name);
  }

  /** @param name - The name Istio reads in `retryOn`. */
  private constructor(name: string) {
    super(name);
  }
}

/** How Istio picks a host of the app for each request (DestinationRule `loadBalancer`). */
export class LoadBalancer {
  /** Each healthy host in turn. */
  static roundRobin(): LoadBalancer {
    return new LoadBalancer('round robin', { simple: 'ROUND_ROBIN' });
  }

  /** The host with fewer active requests among two picked at random (Istio's default). */
  static leastRequest(): LoadBalancer {
    return new LoadBalancer('least request', { simple: 'LEAST_REQUEST' });
  }

  /** A host at random. */
  static random(): LoadBalancer {
    return new LoadBalancer('random', { simple: 'RANDOM' });
  }

  /** Session affinity: requests with the same key go to the same host while it is healthy. */
  static readonly consistentHash = {
    /** Hash on the value of an HTTP request header (lowercase name). */
    byHeader(headerName: string): LoadBalancer {
      if (!HEADER_NAME.test(headerName)) {
        throw new RangeError(
          `LoadBalancer.consistentHash.byHeader('${headerName}'): not a lowercase HTTP header name; use e.g. 'x-user-id'`,
        );
      }
      return new LoadBalancer(`consistent hash on header ${headerName}`, { consistentHash: { httpHeaderName: headerName } });
    },
    /** Hash on an HTTP cookie; Envoy sets it with `ttl` when the request does not carry it. */
    byCookie(name: string, ttl: Duration, path?: string): LoadBalancer {
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
        throw new RangeError(
          `LoadBalancer.consistentHash.byCookie('${name}'): not a cookie name; use letters, digits and '-', e.g. 'session'`,
        );
      }
      if (path !== undefined && !path.startsWith('/'))
        throw new RangeError(
          `LoadBalancer.consistentHash.byCookie: path '${path}' must start with '/'; write it from the root, such as '/${path}'`,
        );
      return new LoadBalancer(`consistent hash on cookie ${name}`, {
        consistentHash: { httpCookie: { name, ttl: istioDuration(ttl), ...(path ? { path } : {}) } },
      });
    },
    /** Hash on the value of a query parameter of the request. */
    byQueryParameter(name: string): LoadBalancer {
      if (!/^[^\s&=#]+$/.test(name)) {
        throw new RangeError(
          `LoadBalancer.consistentHash.byQueryParameter('${name}'): not a query parameter name; use a name without spaces, '&', '=' or '#', e.g. 'user'`,
        );
      }
      return new LoadBalancer(`consistent hash on query parameter ${name}`, { consistentHash: { httpQueryParameterName: name } });
    },
    /** Hash on the client's IP address. */
    bySourceIp(): LoadBalancer {
      return new LoadBalancer('consistent hash on source IP', { consistentHash: { useSourceIp: true } });
    },
  };

  private constructor(
    /** A readable description. */
    readonly description: string,
    /** The DestinationRule `trafficPolicy.loadBalancer` it renders to. */
    readonly policy: Readonly<Record<string, unknown>>,
  ) {}
}

/** How a string of a request (its path, a header) is matched. */
export class StringMatch {
  /** The whole value equals `value`. */
  static exact(value: string): StringMatch {
    return new StringMatch('exact', value);
  }

  /** The value starts with `value`. */
  static prefix(value: string): StringMatch {
    return new StringMatch('prefix', value);
  }

  /** The value matches the RE2 regular expression `pattern` (whole value). */
  static regex(pattern: string): StringMatch {
    return new StringMatch('regex', pattern);
  }

  private constructor(
    /** The kind of match, as Istio names it. */
    readonly kind: 'exact' | 'prefix' | 'regex',
    /** The value or pattern. */
    readonly value: string,
  ) {}

  /** The Istio StringMatch object. */
  toJson(): Record<string, string> {
    return { [this.kind]: this.value };
  }
}

/** Requests a route applies to: all conditions must hold (Istio HTTPMatchRequest). */
export interface RouteMatch {
  /**
   * The request path.
   * @default - any path
   */
  readonly path?: StringMatch;
  /**
   * Request headers (lowercase names) and how each must match.
   * @default - no header condition
   */
  readonly headers?: Readonly<Record<string, StringMatch>>;
}

/** Retries of failed requests (Istio HTTPRetry). */
export interface RetryPolicy {
  /** Retries allowed per request (Istio `attempts`); 0 disables retries. */
  readonly attempts: number;
  /**
   * Timeout of each attempt, the first included.
   * @default - the route timeout (Istio's default)
   */
  readonly perTryTimeout?: Duration;
  /**
   * The conditions that trigger a retry.
   * @default - Istio's default: connect-failure, refused-stream, unavailable, cancelled, retriable-status-codes
   */
  readonly retryOn?: readonly RetryOn[];
}

/** Limits of the connections and requests to the app (DestinationRule `trafficPolicy.connectionPool`). */
export interface ConnectionPoolSettings {
  /**
   * TCP limits (HTTP and TCP traffic).
   * @default - Istio's defaults (2^32-1 connections, 10s connect timeout)
   */
  readonly tcp?: {
    /**
     * Most connections to each host of the app, per client proxy.
     * @default - unlimited (2^32-1)
     */
    readonly maxConnections?: number;
    /**
     * TCP connect timeout.
     * @default 10s
     */
    readonly connectTimeout?: Duration;
  };
  /**
   * HTTP limits.
   * @default - Istio's defaults (unlimited)
   */
  readonly http?: {
    /**
     * Most requests queued while waiting for a connection.
     * @default - unlimited (2^32-1)
     */
    readonly http1MaxPendingRequests?: number;
    /**
     * Most active requests to the app.
     * @default - unlimited (2^32-1)
     */
    readonly http2MaxRequests?: number;
    /**
     * Most requests per connection; 1 disables keep-alive.
     * @default - unlimited
     */
    readonly maxRequestsPerConnection?: number;
    /**
     * Most retries outstanding to all hosts of the app at a time.
     * @default - unlimited (2^32-1)
     */
    readonly maxRetries?: number;
  };
}

/**
 * Ejection of failing hosts from the load-balancing pool (DestinationRule `trafficPolicy.outlierDetection`,
 * a sibling of `connectionPool`, never inside it).
 */
export interface OutlierDetectionSettings {
  /**
   * Consecutive 5xx responses (and local failures such as connect timeouts) that eject a host; 0 turns
   * this trigger off (e.g. to eject on gateway errors only).
   * @default 5 (Istio's default, also when `consecutiveGatewayErrors` is set)
   */
  readonly consecutive5xxErrors?: number;
  /**
   * Consecutive 502/503/504 responses that eject a host. They count as 5xx too, so this only has an
   * effect below `consecutive5xxErrors`.
   * @default - off
   */
  readonly consecutiveGatewayErrors?: number;
  /**
   * Time between ejection sweeps.
   * @default 10s
   */
  readonly interval?: Duration;
  /**
   * Minimum ejection time; a host ejected n times stays out n times as long.
   * @default 30s
   */
  readonly baseEjectionTime?: Duration;
  /**
   * Most hosts of the app ejected at once, percent.
   * @default 10
   */
  readonly maxEjectionPercent?: number;
  /**
   * Ejection pauses while fewer than this share of the app's hosts is healthy (percent): then every
   * host, healthy or not, gets traffic again. 0 turns the threshold off.
   * @default 0 (Istio's default: ejection never pauses)
   */
  readonly minHealthPercent?: number;
}

/** A copy of the traffic sent to another app, responses ignored (Istio mirroring). */
export interface MirrorSettings {
  /** The app that receives the copy; it must serve HTTP. */
  readonly app: IMeshApp;
  /**
   * Share of requests copied, percent.
   * @default 100
   */
  readonly percentage?: number;
}

/** gRPC status codes an abort fault can return. */
export class GrpcStatus extends Variant<GrpcStatusName> {
  /** gRPC code 1. */
  static readonly CANCELLED = new GrpcStatus('CANCELLED');
  /** gRPC code 2. */
  static readonly UNKNOWN = new GrpcStatus('UNKNOWN');
  /** gRPC code 3. */
  static readonly INVALID_ARGUMENT = new GrpcStatus('INVALID_ARGUMENT');
  /** gRPC code 4. */
  static readonly DEADLINE_EXCEEDED = new GrpcStatus('DEADLINE_EXCEEDED');
  /** gRPC code 5. */
  static readonly NOT_FOUND = new GrpcStatus('NOT_FOUND');
  /** gRPC code 6. */
  static readonly ALREADY_EXISTS = new GrpcStatus('ALREADY_EXISTS');
  /** gRPC code 7. */
  static readonly PERMISSION_DENIED = new GrpcStatus('PERMISSION_DENIED');
  /** gRPC code 8. */
  static readonly RESOURCE_EXHAUSTED = new GrpcStatus('RESOURCE_EXHAUSTED');
  /** gRPC code 9. */
  static readonly FAILED_PRECONDITION = new GrpcStatus('FAILED_PRECONDITION');
  /** gRPC code 10. */
  static readonly ABORTED = new GrpcStatus('ABORTED');
  /** gRPC code 11. */
  static readonly OUT_OF_RANGE = new GrpcStatus('OUT_OF_RANGE');
  /** gRPC code 12. */
  static readonly UNIMPLEMENTED = new GrpcStatus('UNIMPLEMENTED');
  /** gRPC code 13. */
  static readonly INTERNAL = new GrpcStatus('INTERNAL');
  /** gRPC code 14. */
  static readonly UNAVAILABLE = new GrpcStatus('UNAVAILABLE');
  /** gRPC code 15. */
  static readonly DATA_LOSS = new GrpcStatus('DATA_LOSS');
  /** gRPC code 16. */
  static readonly UNAUTHENTICATED = new GrpcStatus('UNAUTHENTICATED');

  /** Every status an abort can return, in code order. */
  static readonly ALL: readonly GrpcStatus[] = [
    GrpcStatus.CANCELLED,
    GrpcStatus.UNKNOWN,
    GrpcStatus.INVALID_ARGUMENT,
    GrpcStatus.DEADLINE_EXCEEDED,
    GrpcStatus.NOT_FOUND,
    GrpcStatus.ALREADY_EXISTS,
    GrpcStatus.PERMISSION_DENIED,
    GrpcStatus.RESOURCE_EXHAUSTED,
    GrpcStatus.FAILED_PRECONDITION,
    GrpcStatus.ABORTED,
    GrpcStatus.OUT_OF_RANGE,
    GrpcStatus.UNIMPLEMENTED,
    GrpcStatus.INTERNAL,
    GrpcStatus.UNAVAILABLE,
    GrpcStatus.DATA_LOSS,
    GrpcStatus.UNAUTHENTICATED,
  ];

  /** @param name - The status as Istio names it in `fault.abort.grpcStatus`, e.g. `UNAVAILABLE`. */
  private constructor(name: GrpcStatusName) {
    super(name);
  }
}

/** The names of the gRPC statuses (see {@link GrpcStatus}). */
type GrpcStatusName =
  | 'CANCELLED'
  | 'UNKNOWN'
  | 'INVALID_ARGUMENT'
  | 'DEADLINE_EXCEEDED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'OUT_OF_RANGE'
  | 'UNIMPLEMENTED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DATA_LOSS'
  | 'UNAUTHENTICATED';

/**
 * Faults injected into requests to test resilience (Istio HTTPFaultInjection). The calling proxy
 * injects them before routing: an injected abort is answered at once (never retried, never seen by the
 * app nor by outlier detection), and an injected delay comes before the route's timeouts start; Istio
 * documents timeouts and retries as not enabled on a route with faults. They test how callers cope.
 */
export interface FaultInjection {
  /**
   * Delay requests before forwarding them.
   * @default - no delay
   */
  readonly delay?: {
    /** How long. */
    readonly fixedDelay: Duration;
    /** Share of the targeted requests delayed, percent (0-100). */
    readonly percentage: number;
  };
  /**
   * Answer requests with an error instead of forwarding them. Set exactly one of `httpStatus`, `grpcStatus`.
   * @default - no abort
   */
  readonly abort?: {
    /**
     * HTTP status returned, 200-599.
     * @default - none: set grpcStatus
     */
    readonly httpStatus?: number;
    /**
     * gRPC status returned.
     * @default - none: set httpStatus
     */
    readonly grpcStatus?: GrpcStatus;
    /** Share of the targeted requests aborted, percent (0-100). */
    readonly percentage: number;
  };
  /**
   * Only requests carrying this header (exact value) get faults, so that real traffic is never hit.
   * @default - `x-fault-test: true`
   */
  readonly header?: {
    /** The header's name, such as `x-fault-test`. */
    readonly name: string;
    /** The value it must carry exactly, such as `true`. */
    readonly value: string;
  };
  /**
   * Inject into all matching traffic instead of only requests with `header`.
   * @default false
   */
  readonly allTraffic?: boolean;
}

/** The resilience defaults of an environment, which a route's own props override. */
export interface ResilienceDefaults {
  /**
   * Request timeout of routes that set none.
   * @default - none (Istio's default: no timeout)
   */
  readonly timeout?: Duration;
  /**
   * Retries of routes that set none.
   * @default - Istio's default retry policy
   */
  readonly retries?: RetryPolicy;
  /**
   * Outlier detection of routes that set none.
   * @default - none
   */
  readonly outlierDetection?: OutlierDetectionSettings;
  /** Whether routes of this environment may inject faults (refused otherwise). */
  readonly allowFaults: boolean;
  /**
   * What to tell the user to set to allow faults, in messages.
   * @default 'mesh:resilience.allowFaults: true'
   */
  readonly allowFaultsSetting?: string;
}

/** An app whose Istio routing a {@link ResilientRoute} can own or hand to the app's routing controller. */
export interface IRoutableMeshApp extends IMeshApp {
  /**
   * The controller owning the app's routing (a CanaryRelease), if any.
   * @default - none: its own routing objects (a ResilientRoute, or none) route to it
   */
  readonly routingController?: IRoutingController;
  /** Records that `by` renders the app's VirtualService/DestinationRule; throws when it cannot. */
  claimRoutes(by: IRouteRenderer): void;
}

/** Properties of a {@link ResilientRoute}. */
export interface ResilientRouteProps {
  /** The app whose incoming traffic the route shapes. */
  readonly app: IRoutableMeshApp;
  /**
   * The app's port the route sends traffic to (name or number); must be an HTTP-family port.
   * @default - the app's first HTTP port
   */
  readonly port?: string | number;
  /**
   * Request timeout, retries included.
   * @default - the environment's `defaults.timeout`, else none (Istio's default: no timeout)
   */
  readonly timeout?: Duration;
  /**
   * Retries.
   * @default - the environment's `defaults.retries`, else Istio's default retry policy
   */
  readonly retries?: RetryPolicy;
  /**
   * Connection and request limits: the circuit breaker.
   * @default - no limits (Istio's defaults)
   */
  readonly connectionPool?: ConnectionPoolSettings;
  /**
   * Ejection of failing hosts.
   * @default - the environment's `defaults.outlierDetection`, else none
   */
  readonly outlierDetection?: OutlierDetectionSettings;
  /**
   * Load-balancing algorithm.
   * @default - Istio's default (least request)
   */
  readonly loadBalancer?: LoadBalancer;
  /**
   * Mirror traffic to another app.
   * @default - no mirroring
   */
  readonly mirror?: MirrorSettings;
  /**
   * Requests the policy applies to (any of them); other requests reach the app with Istio's defaults.
   * @default - every request
   */
  readonly matches?: readonly RouteMatch[];
  /**
   * Gateways the route also binds to, for traffic entering the mesh.
   * @default - mesh-internal traffic only
   */
  readonly gateways?: readonly IMeshGateway[];
  /**
   * The external hosts the route answers on at `gateways`.
   * @default - the hosts of the gateways
   */
  readonly hosts?: readonly string[];
  /**
   * Faults to inject, for resilience testing.
   * @default - none
   */
  readonly faults?: FaultInjection;
  /**
   * The environment's resilience defaults and fault policy.
   * @default - no defaults; faults allowed
   */
  readonly defaults?: ResilienceDefaults;
}

/** The default header that scopes injected faults to test traffic. */
export const DEFAULT_FAULT_HEADER = { name: 'x-fault-test', value: 'true' } as const;

const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const INT32_MAX = 2_147_483_647;
const UINT32_MAX = 4_294_967_295;

/**
 * Resilience policy for the traffic to one app: timeout, retries, connection pool and outlier detection
 * (the circuit breaker), load balancing, mirroring, per-request matches and fault injection.
 *
 * One API, two renderings. For a plain app it renders the app's VirtualService (`<app>`, plus
 * `<app>-gateway` when bound to gateways) and DestinationRule (`<app>`). For an app whose routing is
 * owned by a controller (a CanaryRelease: Flagger creates those objects), it hands the same settings
 * to the controller, which renders them into its own object, and renders nothing itself.
 *
 * Its semantics are checked at synth time: durations of at least 1ms, perTryTimeout not above the
 * timeout, a warning when the timeout cuts retries short, percentages 0-100, abort statuses 200-599,
 * a mirror target that serves HTTP, faults only where the environment allows them. The final JSON
 * (escape-hatch patches included) is checked for fields a cluster would silently drop.
 */
export class ResilientRoute extends Construct implements IRouteRenderer, ITrafficPolicySource {
  /** The app. */
  readonly app: IRoutableMeshApp;
  /** The port traffic is sent to. */
  readonly port: ResolvedMeshPort;
  /** The effective request timeout (own or the environment's), if any. */
  readonly timeout?: Duration;
  /** The effective retry policy (own or the environment's), if any. */
  readonly retries?: RetryPolicy;
  /** The effective outlier detection (own or the environment's), if any. */
  readonly outlierDetection?: OutlierDetectionSettings;
  /**
   * The longest a request can take: min(timeout, perTryTimeout x attempts); undefined when unbounded.
   */
  readonly effectiveTimeout?: Duration;
  /** The settings in the shape both renderings take, typed (what {@link trafficSettings} returns). */
  readonly settings: ServiceTrafficSettings;

  private readonly props: ResilientRouteProps;
  private _routingController?: IRoutingController;
  private _virtualService?: ApiObject;
  private _gatewayVirtualService?: ApiObject;
  private _destinationRule?: ApiObject;

  constructor(scope: Construct, id: string, props: ResilientRouteProps) {
    super(scope, id);
    this.app = props.app;
    this.props = props;
    const defaults = props.defaults;
    this.port = this.resolvePort(props.port);
    this.timeout = props.timeout ?? defaults?.timeout;
    this.retries = props.retries ?? defaults?.retries;
    this.outlierDetection = props.outlierDetection ?? defaults?.outlierDetection;
    this.effectiveTimeout = this.checkTimeouts();
    this.checkConnectionPool(props.connectionPool);
    this.checkOutlierDetection(this.outlierDetection);
    this.checkMatches(props.matches ?? []);
    if (props.mirror) this.checkMirror(props.mirror);
    if (props.faults) this.checkFaults(props.faults, defaults);
    if (props.hosts && !props.gateways?.length)
      invalid('ResilientRoute', this, `'hosts' (${props.hosts.join(', ')}) only apply at gateways; set 'gateways' too, or remove 'hosts'`);

    // Built with the typed L1 shapes; each rendering turns them into the JSON its object holds (field names differ:
    // `consecutive5XxErrors` in TypeScript is `consecutive5xxErrors` in JSON).
    const trafficPolicy: DestinationRuleSpecTrafficPolicy = compact({
      connectionPool: renderConnectionPool(props.connectionPool),
      outlierDetection: renderOutlierDetection(this.outlierDetection),
      loadBalancer: props.loadBalancer?.policy as DestinationRuleSpecTrafficPolicyLoadBalancer | undefined,
    });
    const match = props.matches?.map(renderMatch);
    this.settings = compact({
      timeout: this.timeout && istioDuration(this.timeout),
      retries: this.retries && renderRetries(this.retries),
      trafficPolicy: Object.keys(trafficPolicy).length > 0 ? trafficPolicy : undefined,
      match,
    });

    // The final JSON, escape-hatch patches included, is what a cluster receives: check it there (the route's
    // own objects, or the controller's Canary).
    this.node.addValidation({ validate: () => this.checkRenderedObjects() });
    const controller = props.app.routingController;
    if (controller) {
      this.handOverRoutes(controller);
      return;
    }
    props.app.claimRoutes(this);
    const http = VirtualService.manifest({ spec: { http: this.renderHttpRoutes(props, match) } }).spec.http;
    this._virtualService = new ApiObject(this, 'VirtualService', {
      ...VirtualService.GVK,
      metadata: { name: props.app.name, namespace: props.app.namespace, labels: { app: props.app.name } },
      spec: { hosts: [props.app.host], http },
    });
    if (props.gateways?.length) {
      const hosts = unique(props.hosts ?? props.gateways.flatMap((g) => g.hosts));
      if (hosts.length === 0)
        invalid('ResilientRoute', this, `gateways ${props.gateways.map((g) => g.reference).join(', ')} declare no hosts; set 'hosts'`);
      this._gatewayVirtualService = new ApiObject(this, 'GatewayVirtualService', {
        ...VirtualService.GVK,
        metadata: { name: `${props.app.name}-gateway`, namespace: props.app.namespace, labels: { app: props.app.name } },
        spec: { hosts, gateways: unique(props.gateways.map((g) => g.reference)), http },
      });
    }
    if (this.settings.trafficPolicy) {
      this._destinationRule = new ApiObject(this, 'DestinationRule', {
        ...DestinationRule.GVK,
        metadata: { name: props.app.name, namespace: props.app.namespace, labels: { app: props.app.name } },
        spec: DestinationRule.manifest({ spec: { host: props.app.host, trafficPolicy: this.settings.trafficPolicy } }).spec,
      });
    }
  }

  /** The controller the settings were handed to, when the app's routing is owned by one. */
  get routingController(): IRoutingController | undefined {
    return this._routingController;
  }

  /** The mesh VirtualService (escape hatch), for a plain app; `undefined` once a routing controller owns the app. */
  get virtualService(): ApiObject | undefined {
    return this._virtualService;
  }

  /** The VirtualService bound to `gateways` (escape hatch), when there are gateways and no routing controller. */
  get gatewayVirtualService(): ApiObject | undefined {
    return this._gatewayVirtualService;
  }

  /** The DestinationRule (escape hatch), for a plain app with a traffic policy and no routing controller. */
  get destinationRule(): ApiObject | undefined {
    return this._destinationRule;
  }

  /** The settings the route asks for on the app's Service: what a routing controller renders into its own object. */
  trafficSettings(): ServiceTrafficSettings {
    return this.settings;
  }

  /**
   * Hands the route to `controller`, which owns the app's routing (a CanaryRelease: Flagger generates the
   * VirtualService and DestinationRules): the route's own objects leave the tree and its settings render into
   * the controller's object. Called by the app when the controller is created after the route. Fails for
   * what the controller's object cannot carry: faults, mirroring, gateways of the route, a TCP connection pool.
   */
  handOverRoutes(controller: IRoutingController): void {
    const props = this.props;
    if (this._routingController) {
      invalid(
        'ResilientRoute',
        this,
        `${controller.controllerKind} ${controller.node.path} takes over routes already handed to ${this._routingController.node.path}; an app can have one ${controller.controllerKind}`,
      );
    }
    const fixes = {
      faults: `Flagger's Canary has no fault injection: inject faults into an app without a ${controller.controllerKind}, or remove 'faults'`,
      mirror: `mirror to the canary during its analysis with the ${controller.controllerKind}'s Strategy.blueGreenMirroring, or remove 'mirror'`,
      gateways: `set 'gateways' on the ${controller.controllerKind}, or remove them here`,
    };
    for (const [field, given] of [
      ['faults', props.faults],
      ['mirror', props.mirror],
      ['gateways', props.gateways?.length ? props.gateways : undefined],
    ] as const) {
      if (given) {
        invalid(
          'ResilientRoute',
          this,
          `'${field}' cannot be applied: ${controller.controllerKind} ${controller.node.path} owns the routing of '${props.app.name}' (Flagger generates its VirtualService); ${fixes[field]}`,
        );
      }
    }
    if (props.connectionPool?.tcp) {
      invalid(
        'ResilientRoute',
        this,
        `'connectionPool.tcp' cannot be applied: ${controller.controllerKind} ${controller.node.path} owns the routing of '${props.app.name}', and Flagger's Canary spec.service.trafficPolicy has an HTTP connection pool only (a DestinationRule of our own would fight Flagger's); limit with connectionPool.http, or remove connectionPool.tcp`,
      );
    }
    for (const own of [this._virtualService, this._gatewayVirtualService, this._destinationRule])
      if (own) this.node.tryRemoveChild(own.node.id);
    this._virtualService = this._gatewayVirtualService = this._destinationRule = undefined;
    this._routingController = controller;
    controller.applyTrafficSettings(this);
  }

  private resolvePort(wanted: string | number | undefined): ResolvedMeshPort {
    const ports = this.app.ports;
    const port = wanted === undefined ? ports.find((p) => p.protocol.isHttp) : ports.find((p) => p.name === wanted || p.port === wanted);
    if (!port) {
      const list = ports.map((p) => `${p.name}:${p.port}`).join(', ');
      return wanted === undefined
        ? invalid(
            'ResilientRoute',
            this,
            `app '${this.app.name}' has no HTTP port (ports: ${list}); timeouts, retries and faults need HTTP, so add an http port to the app`,
          )
        : invalid('ResilientRoute', this, `app '${this.app.name}' has no port '${wanted}'; ports: ${list}`);
    }
    if (!port.protocol.isHttp)
      invalid(
        'ResilientRoute',
        this,
        `port ${port.name}:${port.port} is ${port.protocol.name}, not HTTP; Istio applies timeouts, retries and faults to HTTP routes only, so pick an http/http2/grpc port`,
      );
    return port;
  }

  private checkTimeouts(): Duration | undefined {
    const timeout = this.timeout && this.checkDuration('timeout', this.timeout);
    const retries = this.retries;
    if (!retries) return this.timeout;
    if (!Number.isInteger(retries.attempts) || retries.attempts < 0) {
      invalid(
        'ResilientRoute',
        this,
        `retries.attempts ${retries.attempts} is not a whole number of retries; use 0 (no retries) or more, e.g. 3`,
      );
    }
    if (retries.retryOn && retries.retryOn.length === 0)
      invalid(
        'ResilientRoute',
        this,
        "retries.retryOn is empty, so nothing would be retried; list conditions such as RetryOn.FIVE_XX, or leave it out for Istio's default",
      );
    if (retries.attempts === 0) return this.timeout;
    const perTry = retries.perTryTimeout && this.checkDuration('retries.perTryTimeout', retries.perTryTimeout);
    if (perTry === undefined || timeout === undefined) return this.timeout;
    if (perTry > timeout) {
      invalid(
        'ResilientRoute',
        this,
        `retries.perTryTimeout ${istioDuration(retries.perTryTimeout!)} exceeds the timeout ${istioDuration(this.timeout!)}, so no attempt can use it; lower perTryTimeout to at most the timeout, or raise the timeout`,
      );
    }
    const total = perTry * retries.attempts;
    if (timeout < total) {
      const fit = Math.floor(timeout / perTry);
      warn(
        this,
        `timeout ${istioDuration(this.timeout!)} cuts retries short: ${retries.attempts} attempts x ${istioDuration(retries.perTryTimeout!)} need ${istioDuration(Duration.millis(total))}, only ${fit} fit; effective timeout ${istioDuration(this.timeout!)}. Raise the timeout to ${istioDuration(Duration.millis(total))} or lower attempts/perTryTimeout`,
      );
      return this.timeout;
    }
    return Duration.millis(total);
  }

  private checkDuration(field: string, d: Duration): number {
    const ms = d.toMilliseconds({ integral: false });
    if (!(ms >= 1) || !Number.isInteger(ms)) {
      invalid(
        'ResilientRoute',
        this,
        `${field} ${d.toHumanString()} is not a duration Istio accepts; use a whole number of milliseconds, at least 1ms`,
      );
    }
    return ms;
  }

  /** Pool limits are int32 fields in Istio's schema, ejection counts uint32 ones. */
  private checkCount(field: string, value: number | undefined, min: number, max = INT32_MAX): void {
    if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
      invalid('ResilientRoute', this, `${field} ${value} is not allowed; use a whole number from ${min} to ${max}`);
    }
  }

  private checkPercentage(field: string, value: number | undefined): void {
    if (value !== undefined && !(value >= 0 && value <= 100))
      invalid('ResilientRoute', this, `${field} ${value} is not a percentage; use 0-100`);
  }

  private checkConnectionPool(pool: ConnectionPoolSettings | undefined): void {
    if (!pool) return;
    this.checkCount('connectionPool.tcp.maxConnections', pool.tcp?.maxConnections, 1);
    if (pool.tcp?.connectTimeout) this.checkDuration('connectionPool.tcp.connectTimeout', pool.tcp.connectTimeout);
    for (const field of ['http1MaxPendingRequests', 'http2MaxRequests', 'maxRequestsPerConnection'] as const)
      this.checkCount(`connectionPool.http.${field}`, pool.http?.[field], 1);
    this.checkCount('connectionPool.http.maxRetries', pool.http?.maxRetries, 0);
  }

  private checkOutlierDetection(od: OutlierDetectionSettings | undefined): void {
    if (!od) return;
    this.checkCount('outlierDetection.consecutive5xxErrors', od.consecutive5xxErrors, 0, UINT32_MAX);
    this.checkCount('outlierDetection.consecutiveGatewayErrors', od.consecutiveGatewayErrors, 0, UINT32_MAX);
    if (od.interval) this.checkDuration('outlierDetection.interval', od.interval);
    if (od.baseEjectionTime) this.checkDuration('outlierDetection.baseEjectionTime', od.baseEjectionTime);
    this.checkPercentage('outlierDetection.maxEjectionPercent', od.maxEjectionPercent);
    this.checkPercentage('outlierDetection.minHealthPercent', od.minHealthPercent);
    const fiveXx = od.consecutive5xxErrors ?? 5;
    if (od.consecutiveGatewayErrors && fiveXx > 0 && od.consecutiveGatewayErrors >= fiveXx) {
      warn(
        this,
        `outlierDetection.consecutiveGatewayErrors ${od.consecutiveGatewayErrors} has no effect: gateway errors are 5xx too, and ${fiveXx} consecutive 5xx${od.consecutive5xxErrors === undefined ? " (Istio's default)" : ''} eject first. Set it below ${fiveXx}, or set consecutive5xxErrors: 0 to eject on gateway errors only`,
      );
    }
  }

  private checkMatches(matches: readonly RouteMatch[]): void {
    matches.forEach((m, i) => {
      if (!m.path && Object.keys(m.headers ?? {}).length === 0)
        invalid(
          'ResilientRoute',
          this,
          `matches[${i}] has no condition; set 'path' or 'headers', or leave 'matches' out to apply to every request`,
        );
      if (m.path && m.path.kind !== 'regex' && !m.path.value.startsWith('/'))
        invalid(
          'ResilientRoute',
          this,
          `matches[${i}].path '${m.path.value}' does not start with '/'; use e.g. StringMatch.prefix('/api')`,
        );
      for (const name of Object.keys(m.headers ?? {})) {
        if (!HEADER_NAME.test(name))
          invalid(
            'ResilientRoute',
            this,
            `matches[${i}].headers: '${name}' is not a lowercase HTTP header name (Istio matches lowercase names only); use '${name.toLowerCase()}'`,
          );
      }
    });
  }

  private checkMirror(mirror: MirrorSettings): void {
    const target = mirror.app;
    if (target === this.app || target.host === this.app.host)
      invalid(
        'ResilientRoute',
        this,
        `mirror.app '${target.name}' is the routed app itself, which would double its load; mirror to another app (e.g. a new version deployed as its own MeshApp)`,
      );
    if (!target.ports.some((p) => p.protocol.isHttp))
      invalid(
        'ResilientRoute',
        this,
        `mirror.app '${target.namespace}/${target.name}' has no HTTP port (ports: ${target.ports.map((p) => `${p.name}:${p.port}`).join(', ') || 'none'}); mirroring copies HTTP requests, so mirror to an app that serves HTTP`,
      );
    this.checkPercentage('mirror.percentage', mirror.percentage);
  }

  private checkFaults(faults: FaultInjection, defaults: ResilienceDefaults | undefined): void {
    if (defaults && !defaults.allowFaults) {
      invalid(
        'ResilientRoute',
        this,
        `fault injection is not allowed in this environment (faults hit real traffic there); remove 'faults', or allow them explicitly with ${defaults.allowFaultsSetting ?? 'mesh:resilience.allowFaults: true'} in the environment's Pulumi.<env>.yaml`,
      );
    }
    if (!faults.delay && !faults.abort)
      invalid('ResilientRoute', this, "'faults' has neither 'delay' nor 'abort'; set one, or remove 'faults'");
    if (faults.delay) {
      this.checkDuration('faults.delay.fixedDelay', faults.delay.fixedDelay);
      this.checkPercentage('faults.delay.percentage', faults.delay.percentage);
    }
    if (faults.abort) {
      const { httpStatus, grpcStatus } = faults.abort;
      if ((httpStatus === undefined) === (grpcStatus === undefined))
        invalid('ResilientRoute', this, 'faults.abort needs exactly one of httpStatus (HTTP) and grpcStatus (gRPC)');
      if (httpStatus !== undefined && !(Number.isInteger(httpStatus) && httpStatus >= 200 && httpStatus <= 599)) {
        invalid(
          'ResilientRoute',
          this,
          `faults.abort.httpStatus ${httpStatus} is not allowed; use an HTTP status from 200 to 599, e.g. 503`,
        );
      }
      if (grpcStatus !== undefined && !GrpcStatus.ALL.includes(grpcStatus))
        invalid(
          'ResilientRoute',
          this,
          `faults.abort.grpcStatus '${String(grpcStatus)}' is not a GrpcStatus; use one of ${GrpcStatus.ALL.map((g) => `GrpcStatus.${g.name}`).join(', ')}`,
        );
      this.checkPercentage('faults.abort.percentage', faults.abort.percentage);
    }
    if (faults.header && (!HEADER_NAME.test(faults.header.name) || faults.header.value === '')) {
      invalid(
        'ResilientRoute',
        this,
        `faults.header '${faults.header.name}: ${faults.header.value}' is not a lowercase header name with a value; use e.g. { name: 'x-fault-test', value: 'true' }`,
      );
    }
    if (faults.header && faults.allTraffic)
      invalid('ResilientRoute', this, 'faults.header and faults.allTraffic exclude each other; remove one');
  }

  private renderHttpRoutes(props: ResilientRouteProps, match: VirtualServiceSpecHttpMatch[] | undefined): VirtualServiceSpecHttp[] {
    const destination = { host: this.app.host, port: { number: this.port.port } };
    const mirror = props.mirror && {
      destination: { host: props.mirror.app.host, port: { number: props.mirror.app.ports.find((p) => p.protocol.isHttp)!.port } },
      percentage: { value: props.mirror.percentage ?? 100 },
    };
    const policy = compact({
      route: [{ destination }],
      timeout: this.settings.timeout,
      retries: this.retries && renderRetries(this.retries),
      mirrors: mirror ? [mirror] : undefined,
    });
    const routes: VirtualServiceSpecHttp[] = [];
    const faults = props.faults;
    if (faults) {
      const header = faults.header ?? DEFAULT_FAULT_HEADER;
      const faultMatch = faults.allTraffic
        ? match
        : (match ?? [{}]).map((m) => ({ ...m, headers: { ...m.headers, [header.name]: { exact: header.value } } }));
      routes.push(
        compact({
          name: 'fault-injection',
          match: faultMatch,
          fault: compact({
            delay: faults.delay && { fixedDelay: istioDuration(faults.delay.fixedDelay), percentage: { value: faults.delay.percentage } },
            abort:
              faults.abort &&
              compact({
                httpStatus: faults.abort.httpStatus,
                grpcStatus: faults.abort.grpcStatus?.name,
                percentage: { value: faults.abort.percentage },
              }),
          }),
          ...policy,
        }),
      );
    }
    if (!(faults?.allTraffic && !match)) routes.push(compact({ name: 'resilience', match, ...policy }));
    // Requests outside `matches` still reach the app, with Istio's defaults.
    if (match) routes.push({ name: 'default', route: [{ destination }] });
    return routes;
  }

  /** The final JSON of the objects carrying the policy: its own, or those of the routing controller (the Canary). */
  private checkRenderedObjects(): string[] {
    const objects = this.routingController
      ? this.routingController.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject)
      : [this.virtualService, this.gatewayVirtualService, this.destinationRule].filter((o): o is ApiObject => o !== undefined);
    return objects.flatMap((o) => {
      const json = o.toJson();
      if (o.kind === 'DestinationRule') return destinationRuleProblems(json);
      if (o.kind === 'VirtualService') return virtualServiceProblems(json);
      if (o.kind === 'Canary') return canaryProblems(json);
      return [];
    });
  }
}

/** What a rendered object is called in messages: `<Kind> <namespace>/<name>`. */
interface RenderedJson {
  readonly kind?: string;
  readonly metadata?: { name?: string; namespace?: string };
  readonly spec?: unknown;
}

function objectId(obj: RenderedJson, kind: string): string {
  return `${kind} ${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

/**
 * Fields of a DestinationRule a cluster drops silently or no longer supports: `outlierDetection` (or
 * anything else) nested inside `connectionPool`, and the removed `consecutiveErrors`. Checks the
 * top-level, per-port and per-subset traffic policies.
 */
export function destinationRuleProblems(obj: RenderedJson): string[] {
  const spec = (obj.spec ?? {}) as Record<string, any>;
  const policies: [string, any][] = [];
  const collect = (path: string, tp: any) => {
    if (!tp || typeof tp !== 'object') return;
    policies.push([path, tp]);
    (Array.isArray(tp.portLevelSettings) ? tp.portLevelSettings : []).forEach((p: any, i: number) =>
      policies.push([`${path}.portLevelSettings[${i}]`, p]),
    );
  };
  collect('spec.trafficPolicy', spec.trafficPolicy);
  (Array.isArray(spec.subsets) ? spec.subsets : []).forEach((s: any, i: number) =>
    collect(`spec.subsets[${i}].trafficPolicy`, s?.trafficPolicy),
  );
  return trafficPolicyProblems(objectId(obj, 'DestinationRule'), policies);
}

/** The same for a Flagger Canary's `spec.service.trafficPolicy`, which Flagger copies into its DestinationRules. */
export function canaryProblems(obj: RenderedJson): string[] {
  const tp = ((obj.spec ?? {}) as Record<string, any>).service?.trafficPolicy;
  return tp && typeof tp === 'object' ? trafficPolicyProblems(objectId(obj, 'Canary'), [['spec.service.trafficPolicy', tp]]) : [];
}

function trafficPolicyProblems(id: string, policies: readonly [string, any][]): string[] {
  const problems: string[] = [];
  for (const [path, tp] of policies) {
    for (const key of Object.keys(tp.connectionPool ?? {})) {
      if (key === 'tcp' || key === 'http') continue;
      const hint =
        key === 'outlierDetection'
          ? `a cluster drops it silently and circuit breaking is off; move it up to ${path}.outlierDetection (a sibling of connectionPool), e.g. ResilientRoute's 'outlierDetection' prop`
          : `connectionPool holds only 'tcp' and 'http'; a cluster drops '${key}' silently`;
      problems.push(`${id}: ${path}.connectionPool.${key} is misplaced: ${hint}`);
    }
    if (tp.outlierDetection && 'consecutiveErrors' in tp.outlierDetection) {
      problems.push(
        `${id}: ${path}.outlierDetection.consecutiveErrors (${JSON.stringify(tp.outlierDetection.consecutiveErrors)}) is deprecated and ignored by current Istio; use consecutive5xxErrors (or consecutiveGatewayErrors)`,
      );
    }
  }
  return problems;
}

/** Fields of a VirtualService's HTTP routes a cluster would drop or reject: faults and retries in the wrong place. */
export function virtualServiceProblems(obj: RenderedJson): string[] {
  const id = objectId(obj, 'VirtualService');
  const http = ((obj.spec ?? {}) as Record<string, any>).http;
  const problems: string[] = [];
  (Array.isArray(http) ? http : []).forEach((r: any, i: number) => {
    (Array.isArray(r?.route) ? r.route : []).forEach((d: any, j: number) => {
      for (const key of ['timeout', 'retries', 'fault']) {
        if (d && key in d)
          problems.push(
            `${id}: spec.http[${i}].route[${j}].${key} is misplaced: a cluster drops it silently; set it on spec.http[${i}].${key}`,
          );
      }
    });
  });
  return problems;
}

/** An Istio duration string: the largest whole unit among h, m, s, ms (`180000ms` is `3m`). */
export function istioDuration(d: Duration): string {
  return formatDuration(d, { units: ['h', 'm', 's'], compound: false });
}

function renderRetries(r: RetryPolicy): VirtualServiceSpecHttpRetries {
  return compact({
    attempts: r.attempts,
    perTryTimeout: r.attempts > 0 && r.perTryTimeout ? istioDuration(r.perTryTimeout) : undefined,
    retryOn: r.attempts > 0 && r.retryOn ? unique(r.retryOn.map((c) => c.name)).join(',') : undefined,
  });
}

function renderConnectionPool(pool: ConnectionPoolSettings | undefined): DestinationRuleSpecTrafficPolicyConnectionPool | undefined {
  if (!pool) return undefined;
  const tcp = compact({
    maxConnections: pool.tcp?.maxConnections,
    connectTimeout: pool.tcp?.connectTimeout && istioDuration(pool.tcp.connectTimeout),
  });
  const http = compact({ ...pool.http });
  const out = compact({ tcp: Object.keys(tcp).length ? tcp : undefined, http: Object.keys(http).length ? http : undefined });
  return Object.keys(out).length ? out : undefined;
}

function renderOutlierDetection(od: OutlierDetectionSettings | undefined): DestinationRuleSpecTrafficPolicyOutlierDetection | undefined {
  if (!od) return undefined;
  return compact({
    consecutive5XxErrors: od.consecutive5xxErrors,
    consecutiveGatewayErrors: od.consecutiveGatewayErrors,
    interval: od.interval && istioDuration(od.interval),
    baseEjectionTime: od.baseEjectionTime && istioDuration(od.baseEjectionTime),
    maxEjectionPercent: od.maxEjectionPercent,
    minHealthPercent: od.minHealthPercent,
  });
}

function renderMatch(m: RouteMatch): VirtualServiceSpecHttpMatch {
  const headers = Object.entries(m.headers ?? {});
  return compact({
    uri: m.path?.toJson(),
    headers: headers.length ? Object.fromEntries(headers.map(([k, v]) => [k, v.toJson()])) : undefined,
  });
}

/** Drops undefined values. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
