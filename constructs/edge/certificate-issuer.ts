import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ClusterIssuer, ClusterIssuerSpec } from '../../imports/cert-manager.io';
import { DNS_LABEL, invalid, notDnsLabel } from '../core/errors';
import { Variant } from '../core/variant';

/** Let's Encrypt's production ACME directory. */
export const LETS_ENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';
/** Let's Encrypt's staging ACME directory (untrusted certificates, generous rate limits). */
export const LETS_ENCRYPT_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';

/** The ingress class Istio's ingress gateway serves (meshConfig `ingressClass`). */
export const ISTIO_INGRESS_CLASS = 'istio';
/** The controller name Istio answers for in an `IngressClass`. */
const ISTIO_INGRESS_CONTROLLER = 'istio.io/ingress-controller';

/** Options of an ACME issuer. */
export interface AcmeIssuerOptions {
  /** The account's contact address (expiry notices). */
  readonly email: string;
  /**
   * The ACME directory URL.
   * @default LETS_ENCRYPT_PRODUCTION
   */
  readonly server?: string;
  /**
   * Name of the Secret (in cert-manager's namespace) holding the ACME account's private key. cert-manager
   * creates it on first registration; keep it to keep the account. Never committed to Git.
   * @default - '<issuer name>-account-key'
   */
  readonly accountKeySecretName?: string;
  /**
   * The ingress class the HTTP-01 challenge is answered through: cert-manager creates an `Ingress` of
   * this class for each challenge. For `istio`, the issuer also declares the `IngressClass` `istio`
   * (controller `istio.io/ingress-controller`), without which Istio ignores an Ingress that names its
   * class by `ingressClassName`; the Istio charts do not create it.
   * @default 'istio' (Istio's ingress gateway serves the challenge)
   */
  readonly ingressClassName?: string;
}

/** Where a {@link ClusterCertificateIssuer} gets certificates signed. */
export class IssuerType {
  /** Self-signed certificates: for development, where no public CA can reach the cluster. */
  static selfSigned(): IssuerType {
    return new IssuerType('selfSigned');
  }

  /** An ACME CA (Let's Encrypt), validating domain ownership by HTTP-01 through the Istio ingress gateway. */
  static acme(options: AcmeIssuerOptions): IssuerType {
    return new IssuerType('acme', options);
  }

  private constructor(
    /** The kind of issuer. */
    readonly kind: 'selfSigned' | 'acme',
    /** The ACME options, for `acme`. */
    readonly acmeOptions?: AcmeIssuerOptions,
  ) {}
}

/** Properties of a {@link ClusterCertificateIssuer}. */
export interface ClusterCertificateIssuerProps {
  /** How certificates get signed. */
  readonly type: IssuerType;
  /**
   * The ClusterIssuer's name.
   * @default - the construct id
   */
  readonly name?: string;
}

/** The kind of a cert-manager issuer, as a `Certificate`'s `issuerRef.kind` names it. */
export class IssuerKind extends Variant<'ClusterIssuer' | 'Issuer'> {
  /** A cluster-wide `ClusterIssuer`: Certificates of every namespace may use it. */
  static readonly CLUSTER_ISSUER = new IssuerKind('ClusterIssuer');
  /** A namespaced `Issuer`: only Certificates of its own namespace may use it. */
  static readonly ISSUER = new IssuerKind('Issuer');

  /** Every kind. */
  static readonly ALL: readonly IssuerKind[] = [IssuerKind.CLUSTER_ISSUER, IssuerKind.ISSUER];

  /** @param name - The Kubernetes kind, e.g. `ClusterIssuer`. */
  private constructor(name: IssuerKind['name']) {
    super(name);
  }
}

/** Something a cert-manager `Certificate` can reference as its issuer. */
export interface ICertificateIssuer {
  /** The issuer's name. */
  readonly issuerName: string;
  /** `ClusterIssuer` or `Issuer`. */
  readonly issuerKind: IssuerKind;
  /**
   * True when the issuer proves domain ownership by ACME HTTP-01: the CA fetches
   * `http://<host>/.well-known/acme-challenge/<token>` on port 80, so that path must not be redirected.
   */
  readonly solvesHttp01: boolean;
}

/** A cert-manager `ClusterIssuer`: self-signed in development, ACME (Let's Encrypt) in production. */
export class ClusterCertificateIssuer extends Construct implements ICertificateIssuer {
  readonly issuerName: string;
  readonly issuerKind = IssuerKind.CLUSTER_ISSUER;
  readonly solvesHttp01: boolean;
  /** The generated ClusterIssuer (escape hatch). */
  readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: ClusterCertificateIssuerProps) {
    super(scope, id);
    this.issuerName = props.name ?? id;
    const fail = (message: string): never => invalid('ClusterCertificateIssuer', this, message);
    if (!DNS_LABEL.test(this.issuerName)) fail(notDnsLabel('name', this.issuerName, 'letsencrypt'));
    let spec: ClusterIssuerSpec;
    this.solvesHttp01 = props.type.kind === 'acme';
    if (props.type.kind === 'acme') {
      const acme = props.type.acmeOptions!;
      const server = acme.server ?? LETS_ENCRYPT_PRODUCTION;
      const accountKey = acme.accountKeySecretName ?? `${this.issuerName}-account-key`;
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(acme.email ?? ''))
        fail(`ACME email '${acme.email}' is not an e-mail address; the CA sends expiry notices there`);
      if (!/^https:\/\/[^\s]+$/.test(server)) fail(`ACME server '${server}' is not an https:// URL; use e.g. ${LETS_ENCRYPT_PRODUCTION}`);
      if (!DNS_LABEL.test(accountKey)) fail(notDnsLabel('account key Secret name', accountKey, 'letsencrypt-account-key'));
      const ingressClassName = acme.ingressClassName ?? ISTIO_INGRESS_CLASS;
      if (!DNS_LABEL.test(ingressClassName))
        fail(`ingress class '${ingressClassName}' is not a DNS-1123 label such as '${ISTIO_INGRESS_CLASS}'`);
      if (ingressClassName === ISTIO_INGRESS_CLASS) istioIngressClass(this);
      spec = {
        acme: {
          email: acme.email,
          server,
          privateKeySecretRef: { name: accountKey },
          solvers: [{ http01: { ingress: { ingressClassName } } }],
        },
      };
    } else {
      spec = { selfSigned: {} };
    }
    this.apiObject = new ClusterIssuer(this, 'Resource', { metadata: { name: this.issuerName }, spec });
    // A ClusterIssuer is cluster-scoped: it must not inherit the namespace of the chart it is declared in.
    if (this.apiObject.metadata.namespace) this.apiObject.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  }
}

/**
 * The cluster's `IngressClass` `istio`, declared once per chart: Istio serves an Ingress that names
 * its class by `ingressClassName` only when that class's controller is Istio's.
 */
function istioIngressClass(scope: Construct): void {
  const chart = Chart.of(scope);
  const id = 'istio-ingress-class';
  if (chart.node.tryFindChild(id)) return;
  const ingressClass = new k8s.KubeIngressClass(chart, id, {
    metadata: { name: ISTIO_INGRESS_CLASS },
    spec: { controller: ISTIO_INGRESS_CONTROLLER },
  });
  if (ingressClass.metadata.namespace) ingressClass.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
}
