import * as path from 'node:path';
import { loadEnvironmentFile } from '../../../stacks/environments';
import { buildPlatform } from '../../../stacks/composition/platform';
import { KubeObject, renderCharts } from '../../../stacks/engines/render';
import { meshGraph } from '../../../stacks/inspection/graph';
import { configProblems } from '../../support/config-problems';
import { REPO_ROOT } from '../../support/shared-dir';
import { shopEnvironment } from '../../support/shop';

const rendered = new Map<string, readonly KubeObject[]>();
function objectsOf(env: string): readonly KubeObject[] {
  if (!rendered.has(env))
    rendered.set(
      env,
      renderCharts(buildPlatform(loadEnvironmentFile(path.join(REPO_ROOT, `Pulumi.${env}.yaml`)))).flatMap((c) => c.objects),
    );
  return rendered.get(env)!;
}

/** Each Sidecar's egress hosts, by `<namespace>/<name>`. */
function sidecars(objects: readonly KubeObject[]): Record<string, string[]> {
  return Object.fromEntries(
    objects
      .filter((o) => o.kind === 'Sidecar')
      .map((o: any) => [`${o.metadata.namespace}/${o.metadata.name}`, o.spec.egress.flatMap((e: any) => e.hosts as string[])]),
  );
}
const EGRESS_GATEWAY = 'istio-system/istio-egressgateway.istio-system.svc.cluster.local';

describe('egress per app in the environments', () => {
  test('dev: only the Sidecar of sleep (the one app that declares it) imports httpbin.org', () => {
    const all = sidecars(objectsOf('dev'));
    expect(Object.keys(all).length).toBeGreaterThan(5);
    const importing = Object.entries(all).filter(([, hosts]) => hosts.some((h) => h.includes('httpbin.org')));
    expect(importing).toEqual([
      [
        'demo/sleep',
        ['demo/httpbin.demo.svc.cluster.local', 'observability/jaeger.observability.svc.cluster.local', 'istio-system/httpbin.org'],
      ],
    ]);
  });

  test("staging: sleep's path through the egress gateway is whole (its Sidecar, the gateway's routing); no other proxy sees it", () => {
    const objects = objectsOf('staging');
    const all = sidecars(objects);
    expect(all['demo/sleep']).toEqual([
      'demo/httpbin.demo.svc.cluster.local',
      'observability/jaeger.observability.svc.cluster.local',
      'istio-system/httpbin.org',
      EGRESS_GATEWAY,
    ]);
    for (const [name, hosts] of Object.entries(all)) {
      if (name === 'demo/sleep') continue;
      expect([name, hosts.filter((h) => h === EGRESS_GATEWAY || h.includes('httpbin.org'))]).toEqual([name, []]);
    }
    // The routing sleep's imports lead to: sidecars -> the egress gateway -> httpbin.org, HTTP by Host, HTTPS by SNI.
    const route: any = objects.find((o) => o.kind === 'VirtualService' && o.metadata.name === 'httpbin-org-through-egress-gateway');
    expect(route.metadata.namespace).toBe('istio-system');
    expect(route.spec.hosts).toEqual(['httpbin.org']);
    expect(route.spec.gateways).toEqual(['mesh', 'istio-system/httpbin-org-egress']);
    const toGateway = { host: 'istio-egressgateway.istio-system.svc.cluster.local', subset: 'httpbin-org' };
    expect(route.spec.http[0]).toMatchObject({
      match: [{ gateways: ['mesh'], port: 80 }],
      route: [{ destination: { ...toGateway, port: { number: 80 } } }],
    });
    expect(route.spec.tls[0]).toMatchObject({
      match: [{ gateways: ['mesh'], port: 443, sniHosts: ['httpbin.org'] }],
      route: [{ destination: { ...toGateway, port: { number: 443 } } }],
    });
    expect(objects.find((o) => o.kind === 'Gateway' && o.metadata.name === 'httpbin-org-egress')).toBeDefined();
    expect(objects.find((o) => o.kind === 'DestinationRule' && o.metadata.name === 'httpbin-org-egress-gateway')).toMatchObject({
      spec: { host: 'istio-egressgateway.istio-system.svc.cluster.local', subsets: [{ name: 'httpbin-org' }] },
    });
  });

  test('mesh graph of dev: one egress edge, from sleep to httpbin.org', () => {
    const graph = meshGraph(objectsOf('dev'));
    expect(graph.edges.filter((e) => e.kind === 'egress')).toEqual([{ from: 'demo/sleep', to: 'external:httpbin.org', kind: 'egress' }]);
    expect(graph.nodes.find((n) => n.id === 'external:httpbin.org')?.fromEveryWorkload).toBeUndefined();
  });
});

describe('mesh:apps egress', () => {
  const EXAMPLE_API = { name: 'example-api', hosts: ['api.example.com'], ports: [{ port: 443, protocol: 'HTTPS' }] };
  const web = { image: 'ghcr.io/acme/web:1.4.2', ports: [{ port: 8080 }] };

  test('an app declaring a host of mesh:egress.services: its Sidecar imports it, the other apps do not', () => {
    const config = shopEnvironment(
      { shop: { web: { ...web, calls: ['cart'], egress: ['api.example.com'] }, cart: web } },
      { 'mesh:egress': { services: [EXAMPLE_API] } },
    );
    const all = sidecars(renderCharts(buildPlatform(config)).flatMap((c) => c.objects));
    expect(all['shop/web']).toEqual(expect.arrayContaining(['shop/cart.shop.svc.cluster.local', 'istio-system/api.example.com']));
    expect(all['shop/cart'].some((h) => h.includes('api.example.com'))).toBe(false);
  });

  test('fails when a host is not one of mesh:egress.services, naming the file, key path, value, the hosts there are and the fix', () => {
    expect(configProblems(() => shopEnvironment({ shop: { web: { ...web, egress: ['api.example.org'] } } }))).toEqual([
      'Pulumi.dev.yaml: mesh:apps.shop.web.egress.0: "api.example.org" is not an external service of this environment (hosts of mesh:egress.services: none); add a service with that host to mesh:egress.services, or remove it',
    ]);
    expect(
      configProblems(() =>
        shopEnvironment({ shop: { web: { ...web, egress: ['api.example.org'] } } }, { 'mesh:egress': { services: [EXAMPLE_API] } }),
      ),
    ).toEqual([
      'Pulumi.dev.yaml: mesh:apps.shop.web.egress.0: "api.example.org" is not an external service of this environment (hosts of mesh:egress.services: api.example.com); add a service with that host to mesh:egress.services, or remove it',
    ]);
  });

  test('fails when a host is no DNS name or is listed twice; a dotted name under calls stays an app call', () => {
    const problems = configProblems(() =>
      shopEnvironment(
        { shop: { web: { ...web, egress: ['https://api.example.com', 'api.example.com', 'api.example.com'] } } },
        { 'mesh:egress': { services: [EXAMPLE_API] } },
      ),
    );
    expect(problems).toEqual([
      expect.stringContaining('mesh:apps.shop.web.egress.0: must be an external DNS name such as api.github.com'),
      expect.stringContaining('mesh:apps.shop.web.egress: must not list a host twice'),
    ]);
    expect(configProblems(() => shopEnvironment({ shop: { web: { ...web, calls: ['api.example'] } } }))).toEqual([
      expect.stringContaining('mesh:apps.shop.web.calls.0: "api.example" is not declared: there is no app api in namespace example'),
    ]);
  });
});
