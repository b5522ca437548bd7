import { Construct } from 'constructs';
import { CertManager, ClusterCertificateIssuer, GatewayCertificate, IstioGateway, IssuerType, MeshGateway } from '../constructs';
import { Layer, LayerChart } from './layer';

/** Properties of a {@link CertManagerChart}. */
export interface CertManagerChartProps {
  /** Replicas of cert-manager's controller, webhook and CA injector. */
  readonly replicas: number;
}

/** Layer INFRASTRUCTURE: cert-manager with its CRDs, so issuers and certificates of later layers can be applied. */
export class CertManagerChart extends LayerChart {
  /** The cert-manager release. */
  readonly certManager: CertManager;

  constructor(scope: Construct, id: string, props: CertManagerChartProps) {
    super(scope, id, { layer: Layer.INFRASTRUCTURE });
    this.certManager = new CertManager(this, 'cert-manager', { replicas: props.replicas });
  }
}

/** The HTTPS side of the public gateway. */
export interface IngressTls {
  /** Hosts served over HTTPS and named in the certificate. */
  readonly hosts: readonly string[];
  /** Redirect HTTP to HTTPS. */
  readonly redirectHttp: boolean;
  /** Without a redirect, still serve the HTTP hosts in plain text on port 80 (false: HTTPS only). */
  readonly serveHttp: boolean;
  /** Who signs the certificate. */
  readonly issuer: IssuerType;
}

/** Properties of an {@link IngressChart}. */
export interface IngressChartProps {
  /** The Gateway's name (scenario S2: `public-gateway`). */
  readonly gatewayName: string;
  /** Hosts served over HTTP. */
  readonly hosts: readonly string[];
  /** The ingress gateway deployment that serves the Gateway. */
  readonly deployment: IstioGateway;
  /**
   * HTTPS with a cert-manager certificate.
   * @default - HTTP only
   */
  readonly tls?: IngressTls;
}

/**
 * Layer MESH: the public `Gateway` in the ingress gateway's namespace (istio-system) and, with TLS, the
 * environment's `ClusterIssuer` and the `Certificate` whose Secret is the Gateway's `credentialName`.
 */
export class IngressChart extends LayerChart {
  /** The public gateway routes and canaries bind to. */
  readonly gateway: MeshGateway;
  /** The ClusterIssuer, with TLS. */
  readonly issuer?: ClusterCertificateIssuer;

  constructor(scope: Construct, id: string, props: IngressChartProps) {
    super(scope, id, { layer: Layer.MESH });
    if (props.tls) {
      const name = props.tls.issuer.kind === 'acme' ? 'acme-issuer' : 'selfsigned-issuer';
      this.issuer = new ClusterCertificateIssuer(this, name, { type: props.tls.issuer });
    }
    this.gateway = new MeshGateway(this, props.gatewayName, {
      deployment: props.deployment,
      hosts: props.tls && !props.tls.serveHttp ? undefined : props.hosts,
      https:
        props.tls && this.issuer
          ? {
              hosts: props.tls.hosts,
              redirectHttp: props.tls.redirectHttp,
              serveHttp: props.tls.serveHttp,
              certificate: GatewayCertificate.fromIssuer(this.issuer),
            }
          : undefined,
    });
  }
}
