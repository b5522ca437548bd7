import { App, Chart, Testing } from 'cdk8s';
import {
  GatewayDirection,
  ExternalService,
  IstioBase,
  IstioGateway,
  Istiod,
  MeshApp,
  Protocol,
  ZeroTrustPolicy,
} from '../../../constructs';
import { externalEgressHosts } from '../../../constructs/security/external-egress';

/** A mesh with two external services (one through the egress gateway when asked), and three apps in `shop`. */
function shop(options: { throughGateway?: boolean; webEgress?: (string | ExternalService)[] } = {}) {
  const app = Testing.app();
  const system = new Chart(app, 'mesh', { namespace: 'istio-system' });
  const istiod = new Istiod(system, 'istiod', { base: new IstioBase(system, 'base') });
  const gateway = new IstioGateway(system, 'egress', { istiod, direction: GatewayDirection.EGRESS });
  const github = new ExternalService(system, 'github-api', {
    hosts: ['api.github.com'],
    ports: [{ port: 443, protocol: Protocol.TLS }],
    egressGateway: options.throughGateway ? gateway : undefined,
  });
  const payments = new ExternalService(system, 'payments', {
    hosts: ['api.pay.example', 'hooks.pay.example'],
    ports: [{ port: 443 }],
  });
  const chart = new Chart(app, 'shop', { namespace: 'shop' });
  const web = new MeshApp(chart, 'web', { image: 'web:1', ports: [{ port: 8080 }], egress: options.webEgress ?? ['api.github.com'] });
  const cart = new MeshApp(chart, 'cart', { image: 'cart:1', ports: [{ port: 8080 }] }).callsExternal(payments);
  const catalog = new MeshApp(chart, 'catalog', { image: 'catalog:1', ports: [{ port: 8080 }] });
  web.calls(catalog);
  new ZeroTrustPolicy(chart, 'policy', { apps: [web, cart, catalog] });
  return { app, chart, github, payments, web, cart };
}

const sidecarHosts = (chart: Chart) =>
  Object.fromEntries(
    Testing.synth(chart)
      .filter((o) => o.kind === 'Sidecar')
      .map((o) => [o.metadata.name, o.spec.egress.flatMap((e: any) => e.hosts)]),
  );

describe('egress per app: a MeshApp declares the external hosts it calls', () => {
  test('its Sidecar imports those ServiceEntry hosts and no other external host', () => {
    const { chart } = shop();
    expect(sidecarHosts(chart)).toEqual({
      web: ['shop/catalog.shop.svc.cluster.local', 'istio-system/api.github.com'],
      // An ExternalService given as a whole: every one of its hosts.
      cart: ['istio-system/api.pay.example', 'istio-system/hooks.pay.example'],
      catalog: ['./catalog.shop.svc.cluster.local'],
    });
  });

  test('through the egress gateway, the declaring app imports the gateway its mesh route goes to as well', () => {
    const { chart } = shop({ throughGateway: true });
    const hosts = sidecarHosts(chart);
    expect(hosts.web).toEqual([
      'shop/catalog.shop.svc.cluster.local',
      'istio-system/api.github.com',
      'istio-system/istio-egressgateway.istio-system.svc.cluster.local',
    ]);
    expect(hosts.cart).toEqual(['istio-system/api.pay.example', 'istio-system/hooks.pay.example']);
  });

  test('the typed prop and callsExternal: hosts or ExternalServices, in declaration order', () => {
    const { web, cart } = shop();
    expect(web.externalHosts).toEqual(['api.github.com']);
    expect(cart.externalHosts).toEqual(['api.pay.example', 'hooks.pay.example']);
  });

  test('fails when a host is no external DNS name', () => {
    const chart = new Chart(new App(), 'shop', { namespace: 'shop' });
    expect(() => new MeshApp(chart, 'web', { image: 'web:1', ports: [{ port: 8080 }], egress: ['https://api.github.com/'] })).toThrow(
      "MeshApp shop/web: egress host 'https://api.github.com/' is not a fully qualified external DNS name such as 'api.github.com'",
    );
    expect(
      () => new MeshApp(chart, 'cart', { image: 'cart:1', ports: [{ port: 8080 }], egress: ['api.github.com', 'api.github.com'] }),
    ).toThrow("MeshApp shop/cart: egress host 'api.github.com' is declared twice; declare each host once");
  });

  test('fails at synthesis when no ServiceEntry of the tree names a declared host, listing the hosts there are', () => {
    const { app } = shop({ webEgress: ['api.gitlab.com'] });
    expect(() => app.synth()).toThrow(
      "shop/web declares egress to 'api.gitlab.com', but no ServiceEntry of the mesh names that host (external hosts: api.github.com, api.pay.example, hooks.pay.example), so its proxy would have no route to it; add it to mesh:egress.services (an ExternalService in code), or remove it from the app's egress",
    );
  });
});

describe('externalEgressHosts', () => {
  test('per host: the ServiceEntry host, and with a mesh route the VirtualService host and the cluster Services it routes to', () => {
    const objects = [
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'ServiceEntry',
        metadata: { namespace: 'egress' },
        spec: { hosts: ['api.example.com'], location: 'MESH_EXTERNAL' },
      },
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'ServiceEntry',
        metadata: { namespace: 'shop' },
        spec: { hosts: ['internal.shop'], location: 'MESH_INTERNAL' },
      },
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { namespace: 'routes' },
        spec: {
          hosts: ['api.example.com'],
          gateways: ['mesh', 'routes/out'],
          tls: [
            { match: [{ gateways: ['mesh'], port: 443 }], route: [{ destination: { host: 'out-gw.routes.svc.cluster.local' } }] },
            // The gateway's own hop is not the sidecars'.
            { match: [{ gateways: ['routes/out'], port: 443 }], route: [{ destination: { host: 'other.routes.svc.cluster.local' } }] },
          ],
        },
      },
    ];
    expect(externalEgressHosts(objects)).toEqual(
      new Map([['api.example.com', ['egress/api.example.com', 'routes/api.example.com', 'routes/out-gw.routes.svc.cluster.local']]]),
    );
  });
});
