import { gatewayServesHost, IMeshGateway, MeshValidationError } from '../../../constructs';
import type { AppDeclaration } from '../../environments/apps';
import { DEMO_IMAGES } from './demo-apps';

/** The container port httpbin v2 listens on (scenario S7). */
const V2_CONTAINER_PORT = 8888;

/** Options of {@link weightedCanaryApp}. */
export interface WeightedCanaryOptions {
  /** Percentage of requests each version gets; they add up to 100. */
  readonly weights: { readonly v1: number; readonly v2: number };
  /**
   * Scenario S7's public host name (`mesh:canary.weightedSplit.host`): the split is also bound to the public
   * gateway for it, so that requests to the host follow the same weights. The gateway must serve the host,
   * over HTTPS when it has TLS (`mesh:ingress.tls`).
   * @default - in-mesh traffic only
   */
  readonly host?: string;
  /** The public gateway the host is routed through. */
  readonly gateway: IMeshGateway;
}

/**
 * Scenario S7, a canary rolled by hand, as a `mesh:apps` entry: httpbin v1 and v2 behind one Service with
 * two ports (8000 to v1's 8080 named http, 8001 to v2's 8888 named http-v2, both named for HTTP so that
 * Istio routes them), `versions` v1 and v2 (v2 listens on 8888, its probes follow its port), a
 * DestinationRule with subsets v1 and v2, and a VirtualService sending `weights.v1` % to v1 on port 8000
 * and `weights.v2` % to v2 on port 8001. A rollout step is a change of the weights in the configuration.
 * Fails when the public gateway does not serve `host`, naming the configuration keys.
 */
export function weightedCanaryApp(options: WeightedCanaryOptions): AppDeclaration {
  if (options.host !== undefined) checkServed(options.host, options.gateway);
  return {
    image: DEMO_IMAGES.httpbin,
    ports: [
      { port: 8000, targetPort: 8080, name: 'http' },
      { port: 8001, targetPort: V2_CONTAINER_PORT, name: 'http-v2' },
    ],
    probes: { readiness: { httpGet: { path: '/status/200' } }, liveness: { httpGet: { path: '/status/200' } } },
    versions: [
      { name: 'v1', weight: options.weights.v1, port: 8000 },
      { name: 'v2', weight: options.weights.v2, port: 8001, env: { PORT: String(V2_CONTAINER_PORT) } },
    ],
    // In-mesh callers keep the split (the VirtualService is bound to `mesh` too).
    expose: options.host === undefined ? undefined : { hosts: [options.host] },
  };
}

/** Fails unless the gateway serves `host` (in the configuration's terms). */
function checkServed(host: string, gateway: IMeshGateway): void {
  if (gatewayServesHost(gateway, host)) return;
  throw new MeshValidationError(
    gateway.httpsHosts
      ? `weighted-canary: mesh:canary.weightedSplit.host '${host}' is not served over HTTPS by the public gateway ${gateway.reference}: mesh:ingress.tls.hosts is [${gateway.httpsHosts.join(', ')}] (a '*.domain' wildcard covers one label, as in the certificate); add '${host}' or a wildcard covering it to mesh:ingress.tls.hosts, or choose a host they cover`
      : `weighted-canary: mesh:canary.weightedSplit.host '${host}' is not served by the public gateway ${gateway.reference}: mesh:ingress.hosts is [${gateway.hosts.join(', ')}]; add '${host}', a wildcard covering it or '*' to mesh:ingress.hosts (or configure HTTPS for it in mesh:ingress.tls), or choose a host they cover`,
  );
}
