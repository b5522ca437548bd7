import { Construct } from 'constructs';
import { ExternalService, invalid, ISTIO_SYSTEM_NAMESPACE, IstioGateway, Protocol } from '../constructs';
import { Layer, LayerChart } from './layer';

/** One allowed external service, as the environment config lists it. */
export interface ExternalServiceSpec {
  /** Name of the ServiceEntry. */
  readonly name: string;
  /** DNS names. */
  readonly hosts: readonly string[];
  /** Ports and protocols (upper case, as Istio writes them: HTTP, HTTPS, TLS, TCP, HTTP2, GRPC). */
  readonly ports: ReadonlyArray<{ readonly port: number; readonly protocol: string }>;
}

/** Properties of an {@link EgressChart}. */
export interface EgressChartProps {
  /** The external services the mesh may call. */
  readonly services: readonly ExternalServiceSpec[];
  /** Route them through the egress gateway. */
  readonly throughEgressGateway: boolean;
  /**
   * The egress gateway deployment.
   * @default - none; then `throughEgressGateway` must be false
   */
  readonly egressGateway?: IstioGateway;
}

/**
 * Layer MESH: the mesh's allowed external services (one `ServiceEntry` each, in istio-system so every
 * namespace sees them), routed through the egress gateway when the environment says so.
 */
export class EgressChart extends LayerChart {
  /** The external services, by name. */
  readonly services: readonly ExternalService[];

  constructor(scope: Construct, id: string, props: EgressChartProps) {
    super(scope, id, { layer: Layer.MESH, namespace: ISTIO_SYSTEM_NAMESPACE });
    if (props.throughEgressGateway && !props.egressGateway) {
      invalid(
        'EgressChart',
        this,
        'throughEgressGateway is on but no egress gateway is installed; set mesh:istio.install.egressGateway.enabled: true, or mesh:egress.throughEgressGateway: false',
      );
    }
    this.services = props.services.map(
      (s) =>
        new ExternalService(this, s.name, {
          hosts: s.hosts,
          ports: s.ports.map((p) => ({ port: p.port, protocol: protocolOf(this, p.protocol) })),
          egressGateway: props.throughEgressGateway ? props.egressGateway : undefined,
        }),
    );
  }
}

function protocolOf(chart: EgressChart, name: string): Protocol {
  return (
    Protocol.ALL.find((p) => p.name === name.toLowerCase()) ??
    invalid('EgressChart', chart, `protocol '${name}' is not an Istio protocol; use HTTP, HTTPS, TLS, TCP, HTTP2 or GRPC`)
  );
}
