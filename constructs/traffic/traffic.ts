import { IConstruct } from 'constructs';
import type {
  DestinationRuleSpecTrafficPolicy,
  VirtualServiceSpecHttpMatch,
  VirtualServiceSpecHttpRetries,
} from '../../imports/networking.istio.io';

/**
 * Istio traffic settings of one app's Service, typed (the generated Istio bindings), in the shape both renderings
 * take: a plain app's VirtualService route and DestinationRule, or a Flagger Canary's `spec.service` (which Flagger
 * copies into the VirtualService and DestinationRules it generates).
 */
export interface ServiceTrafficSettings {
  /**
   * Request timeout, an Istio duration such as `1s`.
   * @default - none
   */
  readonly timeout?: string;
  /**
   * HTTP retry policy.
   * @default - Istio's default retry policy
   */
  readonly retries?: VirtualServiceSpecHttpRetries;
  /**
   * DestinationRule `trafficPolicy`: connectionPool, outlierDetection, loadBalancer, tls.
   * @default - none
   */
  readonly trafficPolicy?: DestinationRuleSpecTrafficPolicy;
  /**
   * HTTP match conditions (Istio HTTPMatchRequest) the routes apply to.
   * @default - every request
   */
  readonly match?: readonly VirtualServiceSpecHttpMatch[];
}

/** A construct that asks for traffic settings on an app's Service (a ResilientRoute does). */
export interface ITrafficPolicySource extends IConstruct {
  /** The settings it asks for, typed. */
  trafficSettings(): ServiceTrafficSettings;
}

/**
 * A construct that owns the Istio routing of an app (Flagger's Canary does: it creates the app's
 * VirtualService, DestinationRules and primary/canary Services). Traffic settings for the app are
 * handed to it instead of being rendered as objects of their own, so there is one writer per object.
 */
export interface IRoutingController extends IConstruct {
  /** What the controller is, for messages (e.g. `CanaryRelease`). */
  readonly controllerKind: string;
  /** Renders the settings of `source` into the controller's own object; throws for a setting it cannot carry. */
  applyTrafficSettings(source: ITrafficPolicySource): void;
}

/**
 * A construct that renders an app's own routing objects (its VirtualService, DestinationRule). When a
 * {@link IRoutingController} takes the app over after they were rendered, the app hands them over: the
 * result is the same whichever of the two was created first.
 */
export interface IRouteRenderer extends IConstruct {
  /**
   * Stops rendering the app's routing objects (they leave the construct tree) and gives `controller` the
   * settings it can carry. Throws, naming the setting, when `controller` cannot carry one.
   */
  handOverRoutes(controller: IRoutingController): void;
}

/** An Istio Gateway that routes can bind to. */
export interface IMeshGateway {
  /** The Gateway's name. */
  readonly gatewayName: string;
  /** The Gateway's namespace. */
  readonly gatewayNamespace: string;
  /** How a VirtualService or a Canary names it: `<namespace>/<name>`. */
  readonly reference: string;
  /** The hosts its servers accept. */
  readonly hosts: readonly string[];
  /**
   * The hosts its HTTPS server accepts (and its certificate names).
   * @default - no HTTPS server
   */
  readonly httpsHosts?: readonly string[];
}

/**
 * Whether `gateway` serves `host`: over HTTPS when the gateway has an HTTPS server, where a
 * `*.domain` wildcard covers one label only (as in the certificate: `*.example.com` covers
 * `shop.example.com`, not `a.shop.example.com`); else over HTTP, where `*.domain` covers any name
 * ending in `.domain`, as Istio matches Gateway hosts. `*` covers every host.
 */
export function gatewayServesHost(gateway: IMeshGateway, host: string): boolean {
  const https = gateway.httpsHosts !== undefined;
  return (gateway.httpsHosts ?? gateway.hosts).some((pattern) => {
    if (pattern === '*' || pattern === host) return true;
    if (!pattern.startsWith('*.') || !host.endsWith(pattern.slice(1))) return false;
    const label = host.slice(0, host.length - pattern.length + 1);
    return label.length > 0 && (!https || !label.includes('.'));
  });
}
