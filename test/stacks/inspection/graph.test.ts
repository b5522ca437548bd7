import * as path from 'node:path';
import { loadEnvironmentFile } from '../../../stacks/environments';
import { buildPlatform } from '../../../stacks/composition/platform';
import { renderCharts } from '../../../stacks/engines/render';
import { meshGraph, MeshGraph, toMermaid, toSvg } from '../../../stacks/inspection/graph';
import { renderGraph } from '../../../stacks/cli/graph';
import { REPO_ROOT } from '../../support/shared-dir';

let dev: MeshGraph;
beforeAll(() => {
  dev = meshGraph(renderCharts(buildPlatform(loadEnvironmentFile(path.join(REPO_ROOT, 'Pulumi.dev.yaml')))).flatMap((c) => c.objects));
});

describe('meshGraph: the topology of dev from its rendered objects', () => {
  test('workloads grouped by namespace, the gateway, the external service; canaries and splits marked', () => {
    const node = (id: string) => dev.nodes.find((n) => n.id === id);
    expect(node('bookinfo/productpage')).toMatchObject({ kind: 'workload', group: 'bookinfo' });
    expect(node('bookinfo/reviews')).toMatchObject({ canary: true });
    expect(node('demo/httpbin')).toMatchObject({ canary: true });
    expect(node('canary/httpbin')).toMatchObject({ split: 'v1 80%, v2 20%' });
    expect(node('gateway:istio-system/public-gateway')).toMatchObject({ kind: 'gateway', group: 'istio-system' });
    expect(node('external:httpbin.org')).toMatchObject({ kind: 'external', group: 'external' });
    // Flagger's -primary copy is not a second box.
    expect(dev.nodes.some((n) => n.id.endsWith('-primary'))).toBe(false);
  });

  test('calls from the AuthorizationPolicies, routes from the gateway-bound VirtualServices', () => {
    const pairs = dev.edges.map((e) => `${e.kind} ${e.from} -> ${e.to}`);
    expect(pairs).toEqual(
      expect.arrayContaining([
        'call demo/sleep -> demo/httpbin',
        'call bookinfo/productpage -> bookinfo/details',
        'call bookinfo/productpage -> bookinfo/reviews',
        'call bookinfo/reviews -> bookinfo/ratings',
        'route gateway:istio-system/public-gateway -> bookinfo/productpage',
      ]),
    );
    expect(dev.edges.find((e) => e.to === 'bookinfo/productpage')?.label).toMatch(/^\/productpage \/static/);
  });

  test('egress: a Sidecar naming an external host is an arrow to it', () => {
    const g = meshGraph([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'shop' },
        spec: { template: { metadata: { labels: { app: 'web' } } } },
      },
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'ServiceEntry',
        metadata: { name: 'pay', namespace: 'shop' },
        spec: { hosts: ['api.pay.example'] },
      },
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'Sidecar',
        metadata: { name: 'web', namespace: 'shop' },
        spec: { workloadSelector: { labels: { app: 'web' } }, egress: [{ hosts: ['./api.pay.example', 'istio-system/*'] }] },
      },
    ]);
    expect(g.edges).toEqual([{ from: 'shop/web', to: 'external:api.pay.example', kind: 'egress' }]);
    expect(g.nodes.find((n) => n.kind === 'external')?.fromEveryWorkload).toBeUndefined();
  });

  test('an external service every Sidecar-scoped workload may reach is a note on it, not an arrow from each', () => {
    const workload = (app: string) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: app, namespace: 'shop' },
      spec: { template: { metadata: { labels: { app } } } },
    });
    const sidecar = (app: string, hosts: string[]) => ({
      apiVersion: 'networking.istio.io/v1',
      kind: 'Sidecar',
      metadata: { name: app, namespace: 'shop' },
      spec: { workloadSelector: { labels: { app } }, egress: [{ hosts }] },
    });
    const se = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { name: 'pay', namespace: 'shop' },
      spec: { hosts: ['api.pay.example'] },
    };
    const all = meshGraph([
      workload('web'),
      workload('cart'),
      se,
      sidecar('web', ['*/api.pay.example']),
      sidecar('cart', ['*/api.pay.example']),
    ]);
    expect(all.edges).toEqual([]);
    expect(all.nodes.find((n) => n.kind === 'external')).toMatchObject({ fromEveryWorkload: true });
    expect(toMermaid(all)).toContain('    external_api_pay_example>"api.pay.example<br/>reached by every workload"]\n');
    const one = meshGraph([workload('web'), workload('cart'), se, sidecar('web', ['*/api.pay.example']), sidecar('cart', [])]);
    expect(one.edges).toEqual([{ from: 'shop/web', to: 'external:api.pay.example', kind: 'egress' }]);
  });
});

describe('mermaid', () => {
  test('a flowchart with one subgraph per namespace, shapes and classes for gateways, canaries and external services', () => {
    const text = toMermaid(dev);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('flowchart LR');
    expect(lines).toContain('  subgraph ns_bookinfo["namespace bookinfo"]');
    expect(lines).toContain('  subgraph ns_external["external services"]');
    expect(lines.filter((l) => /^ {2}subgraph /.test(l)).length).toBe(lines.filter((l) => l === '  end').length);
    expect(lines).toContain('    gateway_istio_system_public_gateway{{"public-gateway"}}');
    expect(lines.some((l) => /^ {4}external_httpbin_org>"httpbin\.org(<br\/>reached by every workload)?"\]$/.test(l))).toBe(true);
    expect(lines).toContain('    bookinfo_reviews["reviews<br/>canary"]');
    expect(lines).toContain('  demo_sleep --> demo_httpbin');
    expect(lines).toContain('  gateway_istio_system_public_gateway ==>|"/productpage /static …"| bookinfo_productpage');
    expect(lines).toContain('  class bookinfo_reviews,demo_httpbin canary');
    // Every node id used by an arrow is declared.
    const declared = new Set(lines.map((l) => /^ {4}([A-Za-z0-9_]+)[[{>]/.exec(l)?.[1]).filter(Boolean));
    for (const l of lines.filter((x) => /-->|==>|-\.->/.test(x))) {
      const [from, , to] = l
        .trim()
        .replace(/\|"[^"]*"\|/, '')
        .split(/\s+/);
      expect(declared.has(from) && declared.has(to)).toBe(true);
    }
  });
});

describe('svg', () => {
  test('laid out by elkjs: a box per namespace, a node per workload inside its box, an arrow per edge', async () => {
    const svg = await toSvg(dev);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="\d+" height="\d+"/);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    const boxes = [
      ...svg.matchAll(/<g class="namespace" id="group:([^"]+)">\n<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/g),
    ];
    expect(boxes.map((b) => b[1]).sort()).toEqual(['bookinfo', 'canary', 'demo', 'external', 'istio-system']);
    const nodes = [
      ...svg.matchAll(/<g class="node ([a-z ]+)" id="([^"]+)">\n<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/g),
    ];
    expect(nodes.length).toBe(dev.nodes.length);
    expect(nodes.find((n) => n[2] === 'bookinfo/reviews')?.[1]).toBe('workload canary');
    expect(nodes.find((n) => n[2] === 'gateway:istio-system/public-gateway')?.[1]).toBe('gateway');
    // Each node lies inside its namespace's box.
    for (const n of nodes) {
      const group = dev.nodes.find((x) => x.id === n[2])!.group;
      const [, , bx, by, bw, bh] = boxes.find((b) => b[1] === group)!.map(Number);
      const [x, y, w, h] = n.slice(3).map(Number);
      expect(x >= bx && y >= by && x + w <= bx + bw && y + h <= by + bh).toBe(true);
    }
    const arrows = [...svg.matchAll(/<polyline class="edge (\w+)" data-from="([^"]+)" data-to="([^"]+)" points="([^"]+)"/g)];
    expect(new Set(arrows.map((a) => `${a[2]}>${a[3]}`)).size).toBe(dev.edges.length);
    expect(svg).toContain('>/productpage /static …</text>');
  });

  test('renderGraph refuses an unknown format or environment, naming what is allowed', async () => {
    await expect(renderGraph({ env: 'dev', configDir: REPO_ROOT, format: 'png' })).rejects.toThrow(
      '--format png is not supported; use svg or mermaid',
    );
    await expect(renderGraph({ env: 'nope', configDir: REPO_ROOT })).rejects.toThrow('--env nope: no Pulumi.nope.yaml');
    expect(await renderGraph({ env: 'dev', configDir: REPO_ROOT })).toMatch(/^flowchart LR\n/);
  });
});
