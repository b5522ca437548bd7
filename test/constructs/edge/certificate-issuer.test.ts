import { Chart, Testing } from 'cdk8s';
import { ClusterCertificateIssuer, GatewayCertificate, ICertificateIssuer, IssuerKind, IssuerType, MeshGateway } from '../../../constructs';

describe('IssuerKind', () => {
  test('ALL lists ClusterIssuer and Issuer by their Kubernetes kinds', () => {
    expect(IssuerKind.ALL).toEqual([IssuerKind.CLUSTER_ISSUER, IssuerKind.ISSUER]);
    expect(IssuerKind.ALL.map((k) => k.name)).toEqual(['ClusterIssuer', 'Issuer']);
    expect(`${IssuerKind.ISSUER}`).toBe('Issuer');
  });

  test.each<[string, (c: Chart) => ICertificateIssuer, string]>([
    [
      'a ClusterCertificateIssuer',
      (c) => new ClusterCertificateIssuer(c, 'selfsigned', { type: IssuerType.selfSigned() }),
      'ClusterIssuer',
    ],
    ['a namespaced issuer of its own', () => ({ issuerName: 'selfsigned', issuerKind: IssuerKind.ISSUER, solvesHttp01: false }), 'Issuer'],
  ])("%s: the gateway's Certificate names the issuer's kind", (_, issuerOf, kind) => {
    const c = new Chart(Testing.app(), 'test');
    new MeshGateway(c, 'public-gateway', {
      hosts: ['httpbin.example.com'],
      https: { certificate: GatewayCertificate.fromIssuer(issuerOf(c)) },
    });
    const certificate = Testing.synth(c).find((o) => o.kind === 'Certificate');
    expect(certificate.spec.issuerRef).toEqual({ name: 'selfsigned', kind, group: 'cert-manager.io' });
  });
});
