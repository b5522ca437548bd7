import { Chart, Testing } from 'cdk8s';
import { EgressChart } from '../../../charts';
import { GatewayDirection, ExternalService, IstioBase, IstioGateway, Istiod, Protocol } from '../../../constructs';

function setup() {
  const c = new Chart(Testing.app(), 'test', { namespace: 'istio-system' });
  const istiod = new Istiod(c, 'istiod', { base: new IstioBase(c, 'base') });
  const egress = new IstioGateway(c, 'egress', { istiod, direction: GatewayDirection.EGRESS });
  return { c, egress, istiod };
}

const mesh = (o: any) => !['HelmRelease', 'HelmRepository'].includes(o.kind);

describe('ExternalService', () => {
  test('a ServiceEntry: hosts, ports with protocol, DNS resolution, MESH_EXTERNAL', () => {
    const { c } = setup();
    new ExternalService(c, 'github-api', { hosts: ['api.github.com'], ports: [{ port: 443 }, { port: 80, protocol: Protocol.HTTP }] });
    expect(Testing.synth(c).filter(mesh)).toEqual([
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'ServiceEntry',
        metadata: { name: 'github-api', namespace: 'istio-system' },
        spec: {
          hosts: ['api.github.com'],
          ports: [
            { number: 443, name: 'https-443', protocol: 'HTTPS' },
            { number: 80, name: 'http-80', protocol: 'HTTP' },
          ],
          resolution: 'DNS',
          location: 'MESH_EXTERNAL',
        },
      },
    ]);
  });

  test("through the egress gateway, HTTPS by SNI passthrough (Istio's egress gateway pattern)", () => {
    const { c, egress } = setup();
    new ExternalService(c, 'github-api', {
      hosts: ['api.github.com'],
      ports: [{ port: 443, protocol: Protocol.TLS }],
      egressGateway: egress,
    });
    const objects = Testing.synth(c).filter(mesh);
    expect(objects.map((o) => o.kind)).toEqual(['ServiceEntry', 'Gateway', 'VirtualService', 'DestinationRule']);
    expect(objects[1]).toMatchObject({
      metadata: { name: 'github-api-egress', namespace: 'istio-system' },
      spec: {
        selector: { istio: 'egressgateway' },
        servers: [{ port: { number: 443, protocol: 'TLS' }, hosts: ['api.github.com'], tls: { mode: 'PASSTHROUGH' } }],
      },
    });
    const egressHost = 'istio-egressgateway.istio-system.svc.cluster.local';
    expect(objects[2].spec).toEqual({
      hosts: ['api.github.com'],
      gateways: ['mesh', 'istio-system/github-api-egress'],
      tls: [
        {
          match: [{ gateways: ['mesh'], port: 443, sniHosts: ['api.github.com'] }],
          route: [{ destination: { host: egressHost, subset: 'github-api', port: { number: 443 } }, weight: 100 }],
        },
        {
          match: [{ gateways: ['istio-system/github-api-egress'], port: 443, sniHosts: ['api.github.com'] }],
          route: [{ destination: { host: 'api.github.com', port: { number: 443 } }, weight: 100 }],
        },
      ],
    });
    expect(objects[3]).toMatchObject({
      metadata: { name: 'github-api-egress-gateway' },
      spec: { host: egressHost, subsets: [{ name: 'github-api' }] },
    });
  });

  test('through the egress gateway, plain HTTP on the gateway port 80 then to the service port', () => {
    const { c, egress } = setup();
    const svc = new ExternalService(c, 'legacy', {
      hosts: ['legacy.example.com'],
      ports: [{ port: 8080, protocol: Protocol.HTTP }],
      egressGateway: egress,
    });
    const vs = svc.egressRouting!.virtualService.toJson();
    expect(vs.spec.http).toEqual([
      {
        name: 'mesh-to-egress-8080',
        match: [{ gateways: ['mesh'], port: 8080 }],
        route: [
          {
            destination: { host: 'istio-egressgateway.istio-system.svc.cluster.local', subset: 'legacy', port: { number: 80 } },
            weight: 100,
          },
        ],
      },
      {
        name: 'egress-to-legacy-8080',
        match: [{ gateways: ['istio-system/legacy-egress'], port: 80 }],
        route: [{ destination: { host: 'legacy.example.com', port: { number: 8080 } }, weight: 100 }],
      },
    ]);
    expect(svc.egressRouting!.gateway.toJson().spec.servers).toEqual([
      { port: { number: 80, name: 'http-legacy', protocol: 'HTTP' }, hosts: ['legacy.example.com'] },
    ]);
  });

  test('fails when a host is a wildcard or not a DNS name', () => {
    const { c } = setup();
    expect(() => new ExternalService(c, 'wild', { hosts: ['*.github.com'], ports: [{ port: 443 }] })).toThrow(
      /ExternalService test\/wild: host '\*.github.com' is a wildcard/,
    );
    expect(() => new ExternalService(c, 'url', { hosts: ['https://api.github.com'], ports: [{ port: 443 }] })).toThrow(
      "ExternalService test/url: host 'https://api.github.com' is not a fully qualified DNS name such as 'api.github.com' (no scheme, port or path)",
    );
  });

  test('fails when TCP is routed through the egress gateway', () => {
    const { c, egress } = setup();
    expect(
      () =>
        new ExternalService(c, 'db', { hosts: ['db.example.com'], ports: [{ port: 5432, protocol: Protocol.TCP }], egressGateway: egress }),
    ).toThrow(/ExternalService test\/db: port 5432 \(tcp\) cannot be routed through the egress gateway.*use HTTP, HTTPS or TLS/);
  });

  test('fails when given the ingress gateway as egress gateway', () => {
    const { c, istiod } = setup();
    const ingress = new IstioGateway(c, 'ingress', { istiod, direction: GatewayDirection.INGRESS });
    expect(() => new ExternalService(c, 'x', { hosts: ['x.example.com'], ports: [{ port: 443 }], egressGateway: ingress })).toThrow(
      /is an ingress gateway; give the egress gateway/,
    );
  });

  test('fails when a port is out of range or repeated', () => {
    const { c } = setup();
    expect(() => new ExternalService(c, 'a', { hosts: ['a.example.com'], ports: [{ port: 70000 }] })).toThrow(
      /port 70000 is not a port number/,
    );
    expect(() => new ExternalService(c, 'b', { hosts: ['b.example.com'], ports: [{ port: 443 }, { port: 443 }] })).toThrow(
      /port 443 is listed twice/,
    );
  });
});

describe('EgressChart', () => {
  test('config-driven services, in the mesh layer', () => {
    const { egress } = setup();
    const app = Testing.app();
    const chart = new EgressChart(app, 'egress', {
      services: [{ name: 'httpbin-org', hosts: ['httpbin.org'], ports: [{ port: 443, protocol: 'HTTPS' }] }],
      throughEgressGateway: false,
    });
    expect(chart.layer).toBe('mesh');
    expect(Testing.synth(chart).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ServiceEntry/httpbin-org']);
    expect(egress.direction).toBe(GatewayDirection.EGRESS);
  });

  test('fails when routing through an egress gateway that is not installed', () => {
    expect(() => new EgressChart(Testing.app(), 'egress', { services: [], throughEgressGateway: true })).toThrow(
      'EgressChart egress: throughEgressGateway is on but no egress gateway is installed; set mesh:istio.install.egressGateway.enabled: true, or mesh:egress.throughEgressGateway: false',
    );
  });
});
