import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import {
  DestinationRule,
  Gateway,
  GatewaySpecServers,
  GatewaySpecServersTlsMode,
  ServiceEntry,
  ServiceEntrySpecLocation,
  ServiceEntrySpecResolution,
  VirtualService,
  VirtualServiceSpecHttp,
  VirtualServiceSpecTls,
} from '../../imports/networking.istio.io';
import { DNS_LABEL, invalid } from '../core/errors';
import { EXTERNAL_HOST } from '../core/hosts';
import { ISTIO_SYSTEM_NAMESPACE } from '../core/namespaces';
import { GatewayDirection, IstioGateway } from '../platform/istio-gateway';
import { Protocol } from '../core/protocol';

/** One port of an external service. */
export interface ExternalPort {
  /** The port the service listens on. */
  readonly port: number;
  /**
   * The protocol spoken on it. `HTTPS` and `TLS` stay encrypted end to end (routed by SNI).
   * @default Protocol.HTTPS
   */
  readonly protocol?: Protocol;
}

/** Properties of an {@link ExternalService}. */
export interface ExternalServiceProps {
  /** The service's DNS names, such as `api.github.com` (no wildcards: they are resolved by DNS). */
  readonly hosts: readonly string[];
  /** Its ports. */
  readonly ports: readonly ExternalPort[];
  /**
   * Name of the ServiceEntry (and prefix of the egress routing objects).
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * Namespace of the objects. A ServiceEntry is visible to the whole mesh unless restricted.
   * @default - the chart's namespace, else 'istio-system'
   */
  readonly namespace?: string;
  /**
   * Route the mesh's traffic to this service through this egress gateway (Istio's egress gateway
   * pattern: a Gateway on the egress gateway, a VirtualService sending sidecar traffic to it and from
   * it to the service, a DestinationRule for the hop to the gateway), so that egress leaves the
   * cluster from known nodes and can be audited.
   * @default - sidecars call the service directly
   */
  readonly egressGateway?: IstioGateway;
}

/** The egress gateway's listener per kind of traffic (the gateway chart's Service ports). */
const EGRESS_HTTP_PORT = 80;
const EGRESS_TLS_PORT = 443;

/**
 * A service outside the mesh that workloads may call: a `ServiceEntry` (MESH_EXTERNAL, DNS resolution)
 * so that it is reachable under `REGISTRY_ONLY`, optionally routed through the egress gateway.
 */
export class ExternalService extends Construct {
  /** The ServiceEntry's name. */
  readonly name: string;
  /** Namespace of the objects. */
  readonly namespace: string;
  /** The hosts. */
  readonly hosts: readonly string[];
  /** The generated ServiceEntry (escape hatch). */
  readonly serviceEntry: ApiObject;
  /** The egress routing objects (Gateway, VirtualService, DestinationRule), when routed through the egress gateway. */
  readonly egressRouting?: { readonly gateway: ApiObject; readonly virtualService: ApiObject; readonly destinationRule: ApiObject };

  constructor(scope: Construct, id: string, props: ExternalServiceProps) {
    super(scope, id);
    const fail = (message: string): never => invalid('ExternalService', this, message);
    this.name = props.name ?? id;
    this.namespace = props.namespace ?? Chart.of(this).namespace ?? ISTIO_SYSTEM_NAMESPACE;
    this.hosts = [...props.hosts];
    if (!DNS_LABEL.test(this.name)) fail(`name '${this.name}' is not a DNS-1123 label such as 'github-api'`);
    if (this.hosts.length === 0) fail('hosts is empty; list the DNS names of the service, such as api.github.com');
    for (const host of this.hosts) {
      if (host.includes('*')) fail(`host '${host}' is a wildcard, which DNS resolution cannot resolve; list each host name`);
      if (!EXTERNAL_HOST.test(host))
        fail(`host '${host}' is not a fully qualified DNS name such as 'api.github.com' (no scheme, port or path)`);
    }
    if (props.ports.length === 0) fail('ports is empty; list at least one port, such as { port: 443, protocol: Protocol.HTTPS }');
    const ports = props.ports.map((p) => ({ port: p.port, protocol: p.protocol ?? Protocol.HTTPS }));
    const seen = new Set<number>();
    for (const p of ports) {
      if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) fail(`port ${p.port} is not a port number; use 1-65535`);
      if (seen.has(p.port)) fail(`port ${p.port} is listed twice; list each port once, with one protocol`);
      seen.add(p.port);
    }

    this.serviceEntry = new ServiceEntry(this, 'Resource', {
      metadata: { name: this.name, namespace: this.namespace },
      spec: {
        hosts: [...this.hosts],
        ports: ports.map((p) => ({ number: p.port, name: `${p.protocol.name}-${p.port}`, protocol: p.protocol.name.toUpperCase() })),
        resolution: ServiceEntrySpecResolution.DNS,
        location: ServiceEntrySpecLocation.MESH_UNDERSCORE_EXTERNAL,
      },
    });

    if (props.egressGateway) {
      if (props.egressGateway.direction !== GatewayDirection.EGRESS)
        fail(`egressGateway ${props.egressGateway.node.path} is an ${props.egressGateway.direction} gateway; give the egress gateway`);
      this.egressRouting = this.routeThrough(props.egressGateway, ports, fail);
    }
  }

  private routeThrough(egress: IstioGateway, ports: ReadonlyArray<{ port: number; protocol: Protocol }>, fail: (message: string) => never) {
    const http = ports.filter((p) => p.protocol === Protocol.HTTP);
    const tls = ports.filter((p) => p.protocol === Protocol.HTTPS || p.protocol === Protocol.TLS);
    const other = ports.filter((p) => !http.includes(p) && !tls.includes(p));
    if (other.length > 0) {
      fail(
        `port ${other[0].port} (${other[0].protocol.name}) cannot be routed through the egress gateway, which tells services apart by HTTP Host or TLS SNI; use HTTP, HTTPS or TLS, or leave egressGateway out`,
      );
    }
    if (http.length > 1 || tls.length > 1) {
      fail(
        'through the egress gateway, a service can have one HTTP port and one HTTPS/TLS port (the gateway listens on 80 and 443); split the others into their own ExternalService',
      );
    }
    const gatewayName = `${this.name}-egress`;
    const subset = this.name;
    const hosts = [...this.hosts];
    const servers: GatewaySpecServers[] = [];
    if (http.length > 0) servers.push({ port: { number: EGRESS_HTTP_PORT, name: `http-${this.name}`, protocol: 'HTTP' }, hosts });
    if (tls.length > 0)
      servers.push({
        port: { number: EGRESS_TLS_PORT, name: `tls-${this.name}`, protocol: 'TLS' },
        hosts,
        tls: { mode: GatewaySpecServersTlsMode.PASSTHROUGH },
      });
    const gateway = new Gateway(this, 'EgressGateway', {
      metadata: { name: gatewayName, namespace: egress.namespace },
      spec: { selector: { ...egress.selector }, servers },
    });
    const gatewayRef = `${egress.namespace}/${gatewayName}`;
    const toGateway = (port: number) => ({ destination: { host: egress.serviceHost, subset, port: { number: port } }, weight: 100 });
    const toService = (host: string, port: number) => ({ destination: { host, port: { number: port } }, weight: 100 });
    const httpRoutes: VirtualServiceSpecHttp[] = http.flatMap((p) => [
      { name: `mesh-to-egress-${p.port}`, match: [{ gateways: ['mesh'], port: p.port }], route: [toGateway(EGRESS_HTTP_PORT)] },
      ...hosts.map((host, i) => ({
        name: `egress-to-${this.name}-${p.port}${hosts.length > 1 ? `-${i}` : ''}`,
        match: [{ gateways: [gatewayRef], port: EGRESS_HTTP_PORT, ...(hosts.length > 1 ? { authority: { exact: host } } : {}) }],
        route: [toService(host, p.port)],
      })),
    ]);
    const tlsRoutes: VirtualServiceSpecTls[] = tls.flatMap((p) => [
      { match: [{ gateways: ['mesh'], port: p.port, sniHosts: hosts }], route: [toGateway(EGRESS_TLS_PORT)] },
      ...hosts.map((host) => ({
        match: [{ gateways: [gatewayRef], port: EGRESS_TLS_PORT, sniHosts: [host] }],
        route: [toService(host, p.port)],
      })),
    ]);
    const virtualService = new VirtualService(this, 'EgressRoute', {
      metadata: { name: `${this.name}-through-egress-gateway`, namespace: egress.namespace },
      spec: {
        hosts,
        gateways: ['mesh', gatewayRef],
        ...(httpRoutes.length > 0 ? { http: httpRoutes } : {}),
        ...(tlsRoutes.length > 0 ? { tls: tlsRoutes } : {}),
      },
    });
    const destinationRule = new DestinationRule(this, 'EgressGatewayDestination', {
      metadata: { name: `${this.name}-egress-gateway`, namespace: egress.namespace },
      spec: { host: egress.serviceHost, subsets: [{ name: subset }] },
    });
    return { gateway, virtualService, destinationRule };
  }
}
