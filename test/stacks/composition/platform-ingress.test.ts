import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import {
  GatewayDirection,
  CertManager,
  ClusterCertificateIssuer,
  GatewayCertificate,
  IssuerType,
  IstioBase,
  IstioGateway,
  Istiod,
  LETS_ENCRYPT_STAGING,
  MeshGateway,
  MeshGatewayHttps,
} from '../../../constructs';
import { buildPlatform } from '../../../stacks/composition/platform';
import { renderCharts } from '../../../stacks/engines/render';
import { loadEnvironmentFile } from '../../../stacks/environments';
import { REPO_ROOT } from '../../support/shared-dir';

function chart(): Chart {
  return new Chart(Testing.app(), 'test');
}

describe('MeshGateway', () => {
  test("scenario S2's public-gateway: istio-system, selector istio: ingressgateway, HTTP 80 for any host", () => {
    const c = chart();
    const gw = new MeshGateway(c, 'public-gateway');
    expect(gw.reference).toBe('istio-system/public-gateway');
    expect(gw.hosts).toEqual(['*']);
    expect(Testing.synth(c)).toEqual([
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'Gateway',
        metadata: { name: 'public-gateway', namespace: 'istio-system' },
        spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] },
      },
    ]);
  });

  test('takes the selector and namespace of its gateway deployment', () => {
    const c = chart();
    const istiod = new Istiod(c, 'istiod', { base: new IstioBase(c, 'base') });
    const deployment = new IstioGateway(c, 'ingress', { istiod, direction: GatewayDirection.INGRESS, namespace: 'istio-ingress' });
    const gw = new MeshGateway(c, 'public-gateway', { deployment });
    expect(gw.gatewayNamespace).toBe('istio-ingress');
    expect(gw.apiObject.toJson()).toMatchObject({
      metadata: { namespace: 'istio-ingress' },
      spec: { selector: { istio: 'ingressgateway' } },
    });
  });

  test('scenario S7: HTTPS 443 with credentialName from a cert-manager Certificate, HTTP redirected', () => {
    const c = chart();
    const issuer = new ClusterCertificateIssuer(c, 'letsencrypt', { type: IssuerType.selfSigned() });
    const gw = new MeshGateway(c, 'public-gateway', {
      hosts: ['httpbin.example.com'],
      https: { certificate: GatewayCertificate.fromIssuer(issuer) },
    });
    expect(gw.credentialName).toBe('public-gateway-tls');
    const objects = Testing.synth(c);
    expect(objects.find((o) => o.kind === 'Certificate')).toEqual({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'public-gateway-tls', namespace: 'istio-system' },
      spec: {
        secretName: 'public-gateway-tls',
        dnsNames: ['httpbin.example.com'],
        issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer', group: 'cert-manager.io' },
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      },
    });
    expect(objects.find((o) => o.kind === 'Gateway').spec.servers).toEqual([
      { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['httpbin.example.com'], tls: { httpsRedirect: true } },
      {
        port: { number: 443, name: 'https', protocol: 'HTTPS' },
        hosts: ['httpbin.example.com'],
        tls: { mode: 'SIMPLE', credentialName: 'public-gateway-tls', minProtocolVersion: 'TLSV1_2' },
      },
    ]);
  });

  test('with an ACME (HTTP-01) issuer, HTTP is not redirected by default, so the CA reaches /.well-known/acme-challenge/', () => {
    const c = chart();
    const issuer = new ClusterCertificateIssuer(c, 'letsencrypt', { type: IssuerType.acme({ email: 'ops@example.com' }) });
    const gw = new MeshGateway(c, 'public-gateway', {
      hosts: ['httpbin.example.com'],
      https: { certificate: GatewayCertificate.fromIssuer(issuer) },
    });
    expect(gw.apiObject.toJson().spec.servers[0]).toEqual({
      port: { number: 80, name: 'http', protocol: 'HTTP' },
      hosts: ['httpbin.example.com'],
    });
  });

  test('fails when HTTP is redirected while an ACME issuer solves HTTP-01 challenges', () => {
    const c = chart();
    const issuer = new ClusterCertificateIssuer(c, 'letsencrypt', { type: IssuerType.acme({ email: 'ops@example.com' }) });
    expect(
      () =>
        new MeshGateway(c, 'public-gateway', {
          hosts: ['httpbin.example.com'],
          https: { certificate: GatewayCertificate.fromIssuer(issuer), redirectHttp: true },
        }),
    ).toThrow(
      "MeshGateway test/public-gateway: redirectHttp cannot be used with issuer 'letsencrypt', which proves domain ownership by ACME HTTP-01: Istio's httpsRedirect also redirects http://<host>/.well-known/acme-challenge/, and HTTPS has no route to the challenge, so the certificate is never issued or renewed; set redirectHttp: false, or issue the certificate by DNS-01 elsewhere and use GatewayCertificate.fromSecret(name)",
    );
  });

  test('HTTPS only (serveHttp: false): no port-80 server, and the gateway serves only the HTTPS hosts', () => {
    const c = chart();
    const issuer = new ClusterCertificateIssuer(c, 'letsencrypt', { type: IssuerType.acme({ email: 'ops@example.com' }) });
    const gw = new MeshGateway(c, 'public-gateway', {
      https: { hosts: ['shop.example.com'], certificate: GatewayCertificate.fromIssuer(issuer), redirectHttp: false, serveHttp: false },
    });
    const gateway = Testing.synth(c).find((o) => o.kind === 'Gateway')!;
    expect(gateway.spec.servers.map((s: any) => s.port.number)).toEqual([443]);
    expect(gw.hosts).toEqual(['shop.example.com']);
  });

  test('fails when serveHttp: false meets plain-HTTP hosts or a redirect', () => {
    const c = chart();
    const https = { hosts: ['shop.example.com'], certificate: GatewayCertificate.fromSecret('shop-tls'), serveHttp: false };
    expect(() => new MeshGateway(c, 'a', { hosts: ['*'], https: { ...https, redirectHttp: false } })).toThrow(
      'MeshGateway test/a: hosts [*] are served over plain HTTP, but https.serveHttp is false (HTTPS only); list them in https.hosts and remove hosts',
    );
    expect(() => new MeshGateway(c, 'b', { https: { ...https, redirectHttp: true } })).toThrow(
      /MeshGateway test\/b: https.serveHttp: false \(no port-80 server\) contradicts redirectHttp: true/,
    );
  });

  test('HTTPS from an existing Secret, without a redirect, HTTP for any host', () => {
    const c = chart();
    const gw = new MeshGateway(c, 'gw', {
      https: { hosts: ['*.example.com'], certificate: GatewayCertificate.fromSecret('wildcard-cert'), redirectHttp: false },
    });
    const objects = Testing.synth(c);
    expect(objects.map((o) => o.kind)).toEqual(['Gateway']);
    expect(objects[0].spec.servers[0]).toEqual({ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] });
    expect(objects[0].spec.servers[1].tls.credentialName).toBe('wildcard-cert');
    expect(gw.hosts).toEqual(['*', '*.example.com']);
  });

  test.each([
    'http://shop.example.com',
    'Shop.Example.com',
    'shop.example.com:443',
    '*.*.example.com',
    'shop_1.example.com',
    'example.com/path',
    '',
  ])('fails when a host is not a DNS name or wildcard: %p', (host) => {
    expect(() => new MeshGateway(chart(), 'public-gateway', { hosts: [host] })).toThrow(
      `MeshGateway test/public-gateway: hosts: '${host}' is not a DNS name or wildcard; use '*', a name such as 'shop.example.com' or a wildcard such as '*.example.com'`,
    );
  });

  test('fails when HTTPS has no certificate source', () => {
    const https = { hosts: ['shop.example.com'] } as unknown as MeshGatewayHttps;
    expect(() => new MeshGateway(chart(), 'public-gateway', { https })).toThrow(
      'MeshGateway test/public-gateway: HTTPS needs a certificate source; set https.certificate to GatewayCertificate.fromIssuer(issuer) or GatewayCertificate.fromSecret(name)',
    );
  });

  test("fails when an issued certificate would name '*'", () => {
    const c = chart();
    const issuer = new ClusterCertificateIssuer(c, 'selfsigned', { type: IssuerType.selfSigned() });
    expect(() => new MeshGateway(c, 'public-gateway', { https: { certificate: GatewayCertificate.fromIssuer(issuer) } })).toThrow(
      /MeshGateway test\/public-gateway: HTTPS host '\*' cannot be put in a certificate; list the public host names/,
    );
  });

  test('fails when given the egress gateway', () => {
    const c = chart();
    const istiod = new Istiod(c, 'istiod', { base: new IstioBase(c, 'base') });
    const deployment = new IstioGateway(c, 'egress', { istiod, direction: GatewayDirection.EGRESS });
    expect(() => new MeshGateway(c, 'public-gateway', { deployment })).toThrow(/is an egress gateway; a MeshGateway lets traffic in/);
  });
});

describe('TLS: cert-manager and issuers', () => {
  test('cert-manager v1.20.3 from charts.jetstack.io with its CRDs', () => {
    const c = chart();
    new CertManager(c, 'cert-manager', { replicas: 2 });
    const objects = Testing.synth(c);
    expect(objects.find((o) => o.kind === 'HelmRepository')).toMatchObject({
      metadata: { name: 'jetstack' },
      spec: { url: 'https://charts.jetstack.io' },
    });
    expect(objects.find((o) => o.kind === 'HelmRelease')).toMatchObject({
      metadata: { name: 'cert-manager', namespace: 'flux-system' },
      spec: {
        targetNamespace: 'cert-manager',
        chart: { spec: { chart: 'cert-manager', version: 'v1.20.3' } },
        values: {
          crds: { enabled: true, keep: true },
          replicaCount: 2,
          podDisruptionBudget: { enabled: true, minAvailable: 1 },
          webhook: { replicaCount: 2 },
        },
      },
    });
  });

  test('a self-signed ClusterIssuer for development, cluster-scoped even in a namespaced chart', () => {
    const c = new Chart(Testing.app(), 'test', { namespace: 'istio-system' });
    new ClusterCertificateIssuer(c, 'selfsigned-issuer', { type: IssuerType.selfSigned() });
    expect(Testing.synth(c)).toEqual([
      { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'selfsigned-issuer' }, spec: { selfSigned: {} } },
    ]);
  });

  test('an ACME ClusterIssuer: email, account key Secret reference, HTTP-01 through the istio ingress class, which it declares', () => {
    const c = new Chart(Testing.app(), 'test', { namespace: 'istio-system' });
    const issuer = new ClusterCertificateIssuer(c, 'letsencrypt-staging', {
      type: IssuerType.acme({ email: 'ops@example.com', server: LETS_ENCRYPT_STAGING }),
    });
    new ClusterCertificateIssuer(c, 'letsencrypt', { type: IssuerType.acme({ email: 'ops@example.com' }) });
    expect(issuer.solvesHttp01).toBe(true);
    const objects = Testing.synth(c);
    expect(objects.find((o) => o.metadata.name === 'letsencrypt-staging').spec).toEqual({
      acme: {
        email: 'ops@example.com',
        server: 'https://acme-staging-v02.api.letsencrypt.org/directory',
        privateKeySecretRef: { name: 'letsencrypt-staging-account-key' },
        solvers: [{ http01: { ingress: { ingressClassName: 'istio' } } }],
      },
    });
    // Istio ignores an Ingress whose ingressClassName names no IngressClass of its controller; one per chart.
    expect(objects.filter((o) => o.kind === 'IngressClass')).toEqual([
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'IngressClass',
        metadata: { name: 'istio' },
        spec: { controller: 'istio.io/ingress-controller' },
      },
    ]);
  });

  test('an ACME ClusterIssuer on another ingress class declares no IngressClass', () => {
    const c = chart();
    new ClusterCertificateIssuer(c, 'le', { type: IssuerType.acme({ email: 'ops@example.com', ingressClassName: 'nginx' }) });
    expect(Testing.synth(c).map((o) => o.kind)).toEqual(['ClusterIssuer']);
  });

  test('fails when the ingress class is not a DNS label', () => {
    expect(
      () =>
        new ClusterCertificateIssuer(chart(), 'le', {
          type: IssuerType.acme({ email: 'ops@example.com', ingressClassName: 'Istio Ingress' }),
        }),
    ).toThrow("ClusterCertificateIssuer test/le: ingress class 'Istio Ingress' is not a DNS-1123 label such as 'istio'");
  });

  test('fails when the ACME email is not an address', () => {
    expect(() => new ClusterCertificateIssuer(chart(), 'le', { type: IssuerType.acme({ email: 'ops' }) })).toThrow(
      "ClusterCertificateIssuer test/le: ACME email 'ops' is not an e-mail address",
    );
  });

  test('fails when the ACME server is not https', () => {
    expect(
      () =>
        new ClusterCertificateIssuer(chart(), 'le', {
          type: IssuerType.acme({ email: 'ops@example.com', server: 'http://acme.local/dir' }),
        }),
    ).toThrow(/ClusterCertificateIssuer test\/le: ACME server 'http:\/\/acme.local\/dir' is not an https:\/\/ URL/);
  });
});

describe("production's public gateway (issue 14 item 3)", () => {
  test('Pulumi.prod.yaml: HTTPS only, no port-80 server, so no route answers in plain text', () => {
    const app = buildPlatform(loadEnvironmentFile(path.join(REPO_ROOT, 'Pulumi.prod.yaml')));
    const gateways = renderCharts(app)
      .flatMap((c) => c.objects)
      .filter((o) => o.kind === 'Gateway' && o.metadata.name === 'public-gateway');
    expect(gateways).toHaveLength(1);
    expect((gateways[0] as any).spec.servers.map((s: any) => [s.port.number, s.hosts])).toEqual([[443, ['mesh.example.com']]]);
  });
});
