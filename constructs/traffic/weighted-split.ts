import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { DestinationRule, DestinationRuleSpecTrafficPolicyTlsMode, VirtualService } from '../../imports/networking.istio.io';
import { IRoutableMeshApp, StringMatch } from './resilient-route';
import { invalid } from '../core/errors';
import { GATEWAY_HOST } from '../edge/mesh-gateway';
import { gatewayServesHost, IMeshGateway, IRouteRenderer, IRoutingController } from './traffic';

/** The share of an app's traffic one version gets. */
export interface VersionWeight {
  /** The version label (a version of the app). */
  readonly version: string;
  /** Percentage of requests, 0 to 100; the weights of a split add up to 100. */
  readonly weight: number;
  /**
   * The Service port this version is reached on (each version may listen on its own port).
   * @default - the port the request arrived on
   */
  readonly port?: number;
}

/** Requests sent to one version whatever the weights (e.g. a test user). */
export interface VersionHeaderRoute {
  /** The request header, e.g. `end-user`. */
  readonly header: string;
  /** Its value (a plain string matches exactly). */
  readonly value: StringMatch | string;
  /** The version these requests go to. */
  readonly version: string;
}

/** Properties of a {@link WeightedSplit}. */
export interface WeightedSplitProps {
  /** The app whose versions share its traffic. */
  readonly app: IRoutableMeshApp;
  /** The split; the weights must add up to 100. */
  readonly weights: VersionWeight[];
  /**
   * Routes evaluated before the split, in order.
   * @default - none
   */
  readonly headerRoutes?: VersionHeaderRoute[];
  /**
   * Gateways whose traffic follows the split.
   * @default - in-mesh traffic only
   */
  readonly gateways?: IMeshGateway[];
  /**
   * With `gateways`, whether in-mesh callers follow the split too.
   * @default true
   */
  readonly meshTraffic?: boolean;
  /**
   * Extra host names routed through the gateways (e.g. the app's public host). Each gateway must
   * serve each of them (over HTTPS when it has an HTTPS server), else the gateway never routes them.
   * @default - the app's Service host only
   */
  readonly hosts?: string[];
  /**
   * Set `ISTIO_MUTUAL` TLS on the DestinationRule (scenario S6's variant). Without it, Istio's auto
   * mTLS decides, which follows the PeerAuthentication mode.
   * @default false
   */
  readonly istioMutualTls?: boolean;
}

/**
 * A manual weighted canary (scenario S7): a DestinationRule with one subset per version of the app
 * and a VirtualService that splits the app's traffic between them by weight, after optional
 * per-header routes. The weights usually come from the environment's configuration, so that a
 * rollout step is a reviewed one-line change.
 */
export class WeightedSplit extends Construct implements IRouteRenderer {
  /** The app. */
  readonly app: IRoutableMeshApp;
  /** The DestinationRule (escape hatch). */
  readonly destinationRule: ApiObject;
  /** The VirtualService (escape hatch). */
  readonly virtualService: ApiObject;

  constructor(scope: Construct, id: string, props: WeightedSplitProps) {
    super(scope, id);
    const app = props.app;
    this.app = app;
    this.validate(props);
    app.claimRoutes(this);

    this.destinationRule = new DestinationRule(this, 'DestinationRule', {
      metadata: { name: app.name, namespace: app.namespace, labels: { app: app.name } },
      spec: {
        host: app.host,
        trafficPolicy: props.istioMutualTls
          ? { tls: { mode: DestinationRuleSpecTrafficPolicyTlsMode.ISTIO_UNDERSCORE_MUTUAL } }
          : undefined,
        subsets: app.versions.map((v) => ({ name: v, labels: { version: v } })),
      },
    });

    const gateways = (props.gateways ?? []).map((g) => g.reference);
    if (gateways.length > 0 && (props.meshTraffic ?? true)) gateways.push('mesh');
    const destination = (version: string, port?: number) => ({
      host: app.host,
      subset: version,
      port: port === undefined ? undefined : { number: port },
    });
    this.virtualService = new VirtualService(this, 'VirtualService', {
      metadata: { name: app.name, namespace: app.namespace, labels: { app: app.name } },
      spec: {
        hosts: [app.host, ...(props.hosts ?? [])],
        gateways: gateways.length > 0 ? gateways : undefined,
        http: [
          ...(props.headerRoutes ?? []).map((r) => ({
            name: `${r.version}-by-${r.header.toLowerCase()}`,
            match: [
              {
                headers: { [r.header.toLowerCase()]: typeof r.value === 'string' ? StringMatch.exact(r.value).toJson() : r.value.toJson() },
              },
            ],
            route: [{ destination: destination(r.version, props.weights.find((w) => w.version === r.version)?.port) }],
          })),
          {
            name: 'weighted',
            route: props.weights.map((w) => ({ destination: destination(w.version, w.port), weight: w.weight })),
          },
        ],
      },
    });
  }

  /**
   * A routing controller (a CanaryRelease) took the app after the split: it shifts traffic itself, so the
   * split cannot be handed over, whichever was created first.
   */
  handOverRoutes(controller: IRoutingController): never {
    return invalid(
      'WeightedSplit',
      this,
      `${controller.controllerKind} ${controller.node.path} takes over the routing of '${this.app.name}', but this split routes its versions by weight; a ${controller.controllerKind} shifts traffic itself, so keep one of the two`,
    );
  }

  private validate(props: WeightedSplitProps): void {
    const app = props.app;
    const known = (version: string, where: string) => {
      if (!app.versions.includes(version))
        invalid(
          'WeightedSplit',
          this,
          `${where} names version '${version}', which ${app.namespace}/${app.name} does not have (versions: ${app.versions.join(', ')})`,
        );
    };
    if (props.weights.length === 0)
      invalid('WeightedSplit', this, 'weights is empty; give each version its percentage, e.g. v1 80 and v2 20');
    const seen = new Set<string>();
    for (const w of props.weights) {
      known(w.version, 'a weight');
      if (seen.has(w.version)) invalid('WeightedSplit', this, `version '${w.version}' has two weights; give each version one`);
      seen.add(w.version);
      if (!Number.isInteger(w.weight) || w.weight < 0 || w.weight > 100) {
        invalid('WeightedSplit', this, `weight ${w.weight} of version '${w.version}' is not a whole percentage from 0 to 100`);
      }
      if (w.port !== undefined && !app.ports.some((p) => p.port === w.port)) {
        invalid(
          'WeightedSplit',
          this,
          `port ${w.port} of version '${w.version}' is not a Service port of ${app.namespace}/${app.name} (ports: ${app.ports.map((p) => p.port).join(', ')})`,
        );
      }
    }
    const total = props.weights.reduce((sum, w) => sum + w.weight, 0);
    if (total !== 100) {
      invalid(
        'WeightedSplit',
        this,
        `weights ${props.weights.map((w) => `${w.version}=${w.weight}`).join(', ')} add up to ${total}, not 100; adjust them so that every request has a destination`,
      );
    }
    for (const host of props.hosts ?? []) {
      if (host === '*' || !GATEWAY_HOST.test(host) || host.length > 253) {
        invalid(
          'WeightedSplit',
          this,
          `host '${host}' is not a DNS name; use a name such as 'shop.example.com' or a wildcard such as '*.example.com' (lowercase, no scheme, port or path)`,
        );
      }
      for (const gateway of props.gateways ?? []) {
        if (!gatewayServesHost(gateway, host)) {
          const served = gateway.httpsHosts ? `over HTTPS only ${gateway.httpsHosts.join(', ')}` : gateway.hosts.join(', ');
          invalid(
            'WeightedSplit',
            this,
            `host '${host}' is not served by gateway ${gateway.reference} (it serves ${served}), so the gateway would never route it; add the host to the gateway's ${gateway.httpsHosts ? 'HTTPS ' : ''}hosts, or route another host`,
          );
        }
      }
    }
    for (const r of props.headerRoutes ?? []) {
      known(r.version, `header route '${r.header}'`);
      if (!/^[a-zA-Z0-9!#$%&'*+.^_`|~-]+$/.test(r.header))
        invalid('WeightedSplit', this, `header '${r.header}' is not an HTTP header name; use e.g. 'end-user'`);
    }
  }
}
