import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { Certificate, CertificateSpecPrivateKeyAlgorithm, CertificateSpecPrivateKeyRotationPolicy } from '../../imports/cert-manager.io';
import {
  Gateway,
  GatewaySpecServers,
  GatewaySpecServersTlsMinProtocolVersion,
  GatewaySpecServersTlsMode,
} from '../../imports/networking.istio.io';
import { ICertificateIssuer } from './certificate-issuer';
import { DNS_LABEL, invalid, notDnsLabel } from '../core/errors';
import { ISTIO_SYSTEM_NAMESPACE } from '../platform/istio-release';
import { GatewayDirection, IstioGateway } from '../platform/istio-gateway';
import { requireSecret } from '../core/secret-requirement';
import { IMeshGateway } from '../traffic/traffic';

/** A host a Gateway server accepts: `*`, a DNS name (`shop.example.com`) or a wildcard (`*.example.com`). */
export const GATEWAY_HOST = /^(\*|(\*\.)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*)$/;

/** Where the HTTPS server of a {@link MeshGateway} gets its certificate. */
export class GatewayCertificate {
  /**
   * A cert-manager `Certificate` for the HTTPS hosts, issued by `issuer`, stored in the Secret the
   * gateway reads (`credentialName`), renewed automatically.
   */
  static fromIssuer(issuer: ICertificateIssuer): GatewayCertificate {
    return new GatewayCertificate(issuer, undefined);
  }

  /** A TLS Secret managed elsewhere (`tls.crt`/`tls.key`), in the gateway deployment's namespace. */
  static fromSecret(secretName: string): GatewayCertificate {
    return new GatewayCertificate(undefined, secretName);
  }

  private constructor(
    /** The issuer, when cert-manager issues the certificate. */
    readonly issuer: ICertificateIssuer | undefined,
    /** The existing Secret, when one is given. */
    readonly secretName: string | undefined,
  ) {}
}

/** The HTTPS server of a {@link MeshGateway}. */
export interface MeshGatewayHttps {
  /** Where the certificate comes from. */
  readonly certificate: GatewayCertificate;
  /**
   * The hosts served over HTTPS (and named in the certificate). Must be concrete names or
   * `*.domain` wildcards: no certificate is issued for `*`.
   * @default - the gateway's `hosts`
   */
  readonly hosts?: readonly string[];
  /**
   * Answer plain HTTP on port 80 with a redirect to HTTPS (scenario S7). Not possible with an issuer
   * that solves ACME HTTP-01 challenges (Let's Encrypt through the ingress gateway): Istio's
   * `httpsRedirect` covers every path of the host, the challenge path included, so issuance and
   * renewal would fail.
   * @default - true, false when the certificate's issuer solves HTTP-01 challenges
   */
  readonly redirectHttp?: boolean;
  /**
   * Without a redirect, still answer plain HTTP on port 80 for the gateway's `hosts`. Set it to false
   * for an HTTPS-only gateway (production): no port-80 server, so no route is ever reachable in plain
   * text. An ACME HTTP-01 challenge is still answered: Istio's ingress controller serves cert-manager's
   * solver `Ingress` (class `istio`) through a port-80 server of its own on the same gateway pods.
   * With false the gateway's `hosts` (the plain-HTTP hosts) must not be set.
   * @default true
   */
  readonly serveHttp?: boolean;
  /**
   * The Secret the gateway reads the certificate from (`credentialName`).
   * @default - '<gateway name>-tls', or the Secret of `GatewayCertificate.fromSecret`
   */
  readonly credentialName?: string;
}

/** Properties of a {@link MeshGateway}. */
export interface MeshGatewayProps {
  /**
   * The Gateway's name.
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * The Gateway's namespace. With `https`, the certificate's Secret is created here too, so it must be
   * the namespace of the gateway deployment.
   * @default - the namespace of `deployment`, else 'istio-system'
   */
  readonly namespace?: string;
  /**
   * The gateway deployment whose proxies serve this Gateway.
   * @default - pods labeled `istio: ingressgateway`
   */
  readonly deployment?: IstioGateway;
  /**
   * The hosts served over plain HTTP on port 80.
   * @default ['*']
   */
  readonly hosts?: readonly string[];
  /**
   * An HTTPS server on port 443 (TLS 1.2 or newer, certificate from `credentialName`).
   * @default - HTTP only
   */
  readonly https?: MeshGatewayHttps;
}

/**
 * An Istio `Gateway` at the edge of the mesh (scenario S2's `public-gateway`): HTTP on port 80 and,
 * with a certificate source, HTTPS on 443 with a redirect from HTTP (scenario S7).
 */
export class MeshGateway extends Construct implements IMeshGateway {
  readonly gatewayName: string;
  readonly gatewayNamespace: string;
  readonly reference: string;
  readonly hosts: readonly string[];
  readonly httpsHosts?: readonly string[];
  /** The Secret holding the HTTPS certificate, when HTTPS is on. */
  readonly credentialName?: string;
  /** The cert-manager Certificate, when an issuer issues it. */
  readonly certificate?: ApiObject;
  /** The generated Gateway (escape hatch). */
  readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: MeshGatewayProps = {}) {
    super(scope, id);
    const fail = (message: string): never => invalid('MeshGateway', this, message);
    this.gatewayName = props.name ?? id;
    this.gatewayNamespace = props.namespace ?? props.deployment?.namespace ?? ISTIO_SYSTEM_NAMESPACE;
    this.reference = `${this.gatewayNamespace}/${this.gatewayName}`;
    if (!DNS_LABEL.test(this.gatewayName)) fail(`name '${this.gatewayName}' is not a DNS-1123 label such as 'public-gateway'`);
    if (!DNS_LABEL.test(this.gatewayNamespace)) fail(notDnsLabel('namespace', this.gatewayNamespace, ISTIO_SYSTEM_NAMESPACE));
    const httpHosts = [...(props.hosts ?? ['*'])];
    checkHosts(httpHosts, 'hosts', fail);
    const selector = { ...(props.deployment?.selector ?? { istio: 'ingressgateway' }) };
    if (props.deployment && props.deployment.direction !== GatewayDirection.INGRESS)
      fail(
        `deployment ${props.deployment.node.path} is an ${props.deployment.direction} gateway; a MeshGateway lets traffic in, so give it the ingress gateway`,
      );

    const servers: GatewaySpecServers[] = [];
    const https = props.https;
    if (https) {
      if (!https.certificate || (!https.certificate.issuer && !https.certificate.secretName)) {
        fail(
          'HTTPS needs a certificate source; set https.certificate to GatewayCertificate.fromIssuer(issuer) or GatewayCertificate.fromSecret(name)',
        );
      }
      const tlsHosts = [...(https.hosts ?? httpHosts)];
      checkHosts(tlsHosts, 'https.hosts', fail);
      const credentialName = https.credentialName ?? https.certificate.secretName ?? `${this.gatewayName}-tls`;
      if (!DNS_LABEL.test(credentialName)) fail(notDnsLabel('credentialName', credentialName, `${this.gatewayName}-tls`));
      this.credentialName = credentialName;
      if (!https.certificate.issuer) {
        // GatewayCertificate.fromSecret: a certificate issued outside the platform, in the gateway's namespace.
        requireSecret(this, {
          name: credentialName,
          namespace: this.gatewayNamespace,
          keys: ['tls.crt', 'tls.key'],
          purpose: `the TLS certificate of Gateway ${this.gatewayName} for ${tlsHosts.join(', ')}`,
          whenMissing:
            'the gateway serves no HTTPS for those hosts (Istio skips a server whose credential it cannot find); HTTP keeps working',
          createCommand: `kubectl -n ${this.gatewayNamespace} create secret tls ${credentialName} --cert=fullchain.pem --key=privkey.pem`,
        });
      }
      if (https.certificate.issuer) {
        const unissuable = tlsHosts.filter((h) => h === '*');
        if (unissuable.length > 0)
          fail("HTTPS host '*' cannot be put in a certificate; list the public host names (or a '*.domain' wildcard) in https.hosts");
        const issuer = https.certificate.issuer;
        this.certificate = new Certificate(this, 'Certificate', {
          metadata: { name: credentialName, namespace: this.gatewayNamespace },
          spec: {
            secretName: credentialName,
            dnsNames: tlsHosts,
            issuerRef: { name: issuer.issuerName, kind: issuer.issuerKind.name, group: 'cert-manager.io' },
            privateKey: {
              algorithm: CertificateSpecPrivateKeyAlgorithm.ECDSA,
              size: 256,
              rotationPolicy: CertificateSpecPrivateKeyRotationPolicy.ALWAYS,
            },
          },
        });
      }
      const http01 = https.certificate.issuer?.solvesHttp01 ?? false;
      const redirect = https.redirectHttp ?? !http01;
      if (redirect && http01) {
        fail(
          `redirectHttp cannot be used with issuer '${https.certificate.issuer!.issuerName}', which proves domain ownership by ACME HTTP-01: Istio's httpsRedirect also redirects http://<host>/.well-known/acme-challenge/, and HTTPS has no route to the challenge, so the certificate is never issued or renewed; set redirectHttp: false, or issue the certificate by DNS-01 elsewhere and use GatewayCertificate.fromSecret(name)`,
        );
      }
      const serveHttp = https.serveHttp ?? true;
      if (!serveHttp && redirect) {
        fail(
          'https.serveHttp: false (no port-80 server) contradicts redirectHttp: true (a port-80 server that redirects); keep one: set redirectHttp: false for an HTTPS-only gateway, or leave serveHttp unset to redirect',
        );
      }
      if (!serveHttp && props.hosts) {
        fail(
          `hosts [${props.hosts.join(', ')}] are served over plain HTTP, but https.serveHttp is false (HTTPS only); list them in https.hosts and remove hosts`,
        );
      }
      if (serveHttp) {
        servers.push({
          port: { number: 80, name: 'http', protocol: 'HTTP' },
          hosts: httpHosts,
          ...(redirect ? { tls: { httpsRedirect: true } } : {}),
        });
      }
      servers.push({
        port: { number: 443, name: 'https', protocol: 'HTTPS' },
        hosts: tlsHosts,
        tls: {
          mode: GatewaySpecServersTlsMode.SIMPLE,
          credentialName,
          minProtocolVersion: GatewaySpecServersTlsMinProtocolVersion.TLSV1_UNDERSCORE_2,
        },
      });
      this.hosts = serveHttp ? [...new Set([...httpHosts, ...tlsHosts])] : tlsHosts;
      this.httpsHosts = tlsHosts;
    } else {
      servers.push({ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: httpHosts });
      this.hosts = httpHosts;
    }
    this.apiObject = new Gateway(this, 'Resource', {
      metadata: { name: this.gatewayName, namespace: this.gatewayNamespace },
      spec: { selector, servers },
    });
  }
}

function checkHosts(hosts: readonly string[], field: string, fail: (message: string) => never): void {
  if (hosts.length === 0) fail(`${field} is empty; list at least one host, or '*' for any`);
  const seen = new Set<string>();
  for (const host of hosts) {
    if (!GATEWAY_HOST.test(host) || host.length > 253) {
      fail(
        `${field}: '${host}' is not a DNS name or wildcard; use '*', a name such as 'shop.example.com' or a wildcard such as '*.example.com' (lowercase, no scheme, port or path)`,
      );
    }
    if (seen.has(host)) fail(`${field}: '${host}' is listed twice; list each host once`);
    seen.add(host);
  }
}
