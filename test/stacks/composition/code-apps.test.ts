import * as path from 'node:path';
import { ZeroTrustPolicy } from '../../../constructs';
import { defineApps } from '../../../stacks/composition/code-apps';
import { buildPlatform } from '../../../stacks/composition/platform';
import { loadEnvironmentFile } from '../../../stacks/environments';
import { renderCharts } from '../../../stacks/engines/render';
import { AccessExplainer, allowedEdges, matrixRequest, workloadsOf } from '../../../stacks/inspection/access';
import { REPO_ROOT } from '../../support/shared-dir';
import { shopApps } from '../../support/shop-apps';

const prod = () => loadEnvironmentFile(path.join(REPO_ROOT, 'Pulumi.prod.yaml'));

describe('apps in code (apps/index.ts, defineApps)', () => {
  test('fails when defineApps is given something other than a function, naming what it got and the fix', () => {
    expect(() => defineApps({ shop: {} } as never)).toThrow(
      'defineApps: expected a function (ctx) => { ... } that adds the apps, got object; write export default defineApps((ctx) => { ... }) in apps/index.ts',
    );
  });

  const app = buildPlatform(prod(), { apps: shopApps });
  const objects = renderCharts(app).flatMap((c) => c.objects);
  const chartWorkloads = app.node
    .findAll()
    .filter((c): c is ZeroTrustPolicy => c instanceof ZeroTrustPolicy)
    .flatMap((p) => p.chartWorkloads);
  const explainer = new AccessExplainer(objects);
  const of = (kind: string, namespace = 'shop') =>
    objects
      .filter((o) => o.kind === kind && o.metadata.namespace === namespace)
      .map((o) => o.metadata.name)
      .sort();

  test('the shop joins the environment in layer apps, with the generated objects', () => {
    expect(renderCharts(app).find((c) => c.id === 'shop')).toMatchObject({ layer: 'apps' });
    expect(of('ServiceAccount')).toEqual(['cart', 'catalog', 'web']);
    expect(of('Deployment')).toEqual(['cart', 'catalog', 'web']);
    // Flagger owns web's Services: only catalog and cart get one from the app.
    expect(of('Service')).toEqual(['cart', 'catalog']);
    expect(of('Canary')).toEqual(['web']);
    expect(of('Sidecar')).toEqual(['cart', 'catalog', 'web', 'web-primary']);
    expect(of('NetworkPolicy')).toEqual(['cart', 'catalog', 'default-deny-ingress', 'web']);
  });

  test('the access matrix is the declared calls plus the platform identities, nothing else', () => {
    const workloads = workloadsOf(objects, chartWorkloads);
    const cells = workloads.flatMap((from) => workloads.map((to) => ({ from, to, decision: explainer.check(matrixRequest(from, to)) })));
    expect(allowedEdges(cells).filter((e) => e.split(' -> ')[1].startsWith('shop/'))).toEqual([
      'shop/cart -> shop/catalog',
      'shop/web -> shop/cart',
      'shop/web -> shop/catalog',
      'test/flagger-loadtester -> shop/web',
    ]);
    // The ingress gateway reaches the exposed web (and its primary pods), nothing else of the shop.
    const gateway = { namespace: 'istio-system', serviceAccount: 'istio-ingressgateway' };
    for (const [labels, allowed] of [
      [{ app: 'web' }, true],
      [{ app: 'web-primary' }, true],
      [{ app: 'catalog' }, false],
      [{ app: 'cart' }, false],
    ] as const) {
      const decision = explainer.check({
        source: gateway,
        destination: { namespace: 'shop', labels, port: 8080 },
        method: 'GET',
        path: '/',
        host: 'shop.example.com',
      });
      expect({ to: labels.app, allowed: decision.allowed }).toEqual({ to: labels.app, allowed });
    }
  });

  test("Prometheus (the platform's, in observability) may scrape every shop sidecar", () => {
    const apps = objects.filter(
      (x) => x.kind === 'NetworkPolicy' && x.metadata.namespace === 'shop' && x.metadata.name !== 'default-deny-ingress',
    );
    expect(apps.length).toBe(3);
    for (const o of apps) {
      expect((o.spec as any).ingress).toContainEqual({
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } },
            podSelector: expect.any(Object),
          },
        ],
        ports: [
          { protocol: 'TCP', port: 15020 },
          { protocol: 'TCP', port: 15090 },
        ],
      });
    }
  });

  test('without a registration the environment is the platform alone (apps/index.ts registers none)', () => {
    const ids = (a: ReturnType<typeof buildPlatform>) => a.node.children.map((c) => c.node.id);
    expect(ids(buildPlatform(prod()))).toEqual(ids(buildPlatform(prod(), { apps: defineApps(() => {}) })));
  });

  test('the context says which environment is built', () => {
    const seen: string[] = [];
    buildPlatform(prod(), { apps: defineApps((ctx) => seen.push(`${ctx.environment.name}/${ctx.environment.tier}`)) });
    expect(seen).toEqual(['prod/production']);
  });

  test('fails when a chart reuses a platform chart id or a platform namespace', () => {
    expect(() =>
      buildPlatform(prod(), { apps: defineApps((ctx) => ctx.layerChart('zero-trust-x', { namespace: 'istio-system' })) }),
    ).toThrow(
      /apps\/index.ts: chart 'zero-trust-x' namespace 'istio-system' belongs to the platform \(.*istio-system.*\); put your apps in a namespace of their own/,
    );
    // cert-manager: a namespace the platform declares itself (platform-namespaces), not a MeshNamespace.
    expect(() => buildPlatform(prod(), { apps: defineApps((ctx) => ctx.layerChart('shop', { namespace: 'cert-manager' })) })).toThrow(
      /apps\/index.ts: chart 'shop' namespace 'cert-manager' belongs to the platform/,
    );
    expect(() => buildPlatform(prod(), { apps: defineApps((ctx) => ctx.layerChart('observability')) })).toThrow(
      /apps\/index.ts: layerChart id 'observability' is a chart of the platform of prod; choose another id/,
    );
  });
});
