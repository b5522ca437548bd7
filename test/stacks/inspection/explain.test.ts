import { PRODUCTION_REQUIRED } from '../../support/production';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Layer } from '../../../charts';
import { parseEnvironment } from '../../../stacks/environments';
import { buildPlatform } from '../../../stacks/composition/platform';
import { durationMs, explainRoutes, formatExplain } from '../../../stacks/inspection/explain';
import { KubeObject, renderCharts, RenderedChart } from '../../../stacks/engines/render';
import { runCli } from '../../support/cli';
import { REPO_ROOT } from '../../support/shared-dir';

const root = REPO_ROOT;
const chartOf = (...objects: KubeObject[]): RenderedChart[] => [{ id: 'test', layer: Layer.APPS, objects }];
/** An Istio `kind` with `spec`, named `name` in `namespace`. */
const istio = (kind: 'VirtualService' | 'DestinationRule', spec: object, namespace = 'demo', name = 'httpbin'): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind,
  metadata: { name, namespace },
  spec,
});

describe('explain routes on scenario S4 (from the synthesized objects)', () => {
  // S4 on a plain httpbin (no CanaryRelease), with the development defaults: the demo apps of dev without
  // the canary and the weighted split (the demo apps are built as ordinary apps, in chart demo-apps).
  const config = parseEnvironment(
    'dev',
    {
      'mesh:demo': { apps: ['httpbin', 'sleep'] },
      'mesh:canary': { httpbinCanary: { enabled: false }, weightedSplit: { enabled: false } },
    },
    'Pulumi.dev.yaml',
  );
  const charts = renderCharts(buildPlatform(config)).filter((c) => c.id === 'demo-apps');
  const [httpbin] = explainRoutes(charts, 'httpbin');

  test('one report for httpbin with its two routes and its traffic policy', () => {
    expect(httpbin.host).toBe('httpbin.demo.svc.cluster.local');
    expect(httpbin.routes.map((r) => r.name)).toEqual(['fault-injection', 'resilience']);
    expect(httpbin.routes[1]).toMatchObject({
      source: 'networking.istio.io/v1 VirtualService demo/httpbin',
      when: 'every request',
      destinations: [{ host: 'httpbin.demo.svc.cluster.local', port: 8000, weight: 100 }],
      timeout: '8s',
      retries: { attempts: 3, perTryTimeout: '1s', istioDefault: false },
      effectiveTimeoutMs: 3000,
      retriesCutShort: false,
      faults: [],
    });
    expect(httpbin.routes[0]).toMatchObject({
      when: 'when header x-fault-test = true',
      faults: ['delay 2s on 10% of requests', 'abort with HTTP 503 on 50% of requests'],
    });
    expect(httpbin.policies).toEqual([
      expect.objectContaining({
        source: 'networking.istio.io/v1 DestinationRule demo/httpbin',
        connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } },
        outlierDetection: { consecutive5xxErrors: 1, interval: '1s', baseEjectionTime: '3m', maxEjectionPercent: 100 },
      }),
    ]);
  });

  test('the text says what happens: timeouts, retries, effective timeout, pool, ejection, faults', () => {
    const text = formatExplain([httpbin]);
    expect(text).toContain('httpbin.demo.svc.cluster.local\n');
    expect(text).toContain(
      "  route 'resilience' (networking.istio.io/v1 VirtualService demo/httpbin): every request\n    to: httpbin.demo.svc.cluster.local:8000 100%\n    timeout: 8s\n",
    );
    expect(text).toContain(
      '    retries: 3 x 1s on 5xx,gateway-error,reset,connect-failure,cancelled,deadline-exceeded,internal,unavailable\n    effective timeout: 3s\n',
    );
    expect(text).toContain(
      '    faults: delay 2s on 10% of requests; abort with HTTP 503 on 50% of requests (injected by the calling proxy before routing: not retried, not timed out, never seen by the app or by ejection)\n',
    );
    expect(text).toContain('    connection pool: tcp maxConnections 1, http http1MaxPendingRequests 1, http maxRequestsPerConnection 1\n');
    expect(text).toContain(
      '    ejection: eject a host after 1 consecutive 5xx, sweeping every 1s, for 3m x times ejected, up to 100% of hosts\n',
    );
    expect(text).toContain('    load balancing: least request (Istio default)\n');
  });

  test('--host filters by Service name, name.namespace or full host; an unknown host says so', () => {
    expect(explainRoutes(charts, 'httpbin.demo').map((r) => r.host)).toEqual(['httpbin.demo.svc.cluster.local']);
    expect(explainRoutes(charts, 'httpbin.demo.svc.cluster.local')).toHaveLength(1);
    expect(explainRoutes(charts, 'nope')).toEqual([]);
    expect(formatExplain([])).toMatch(/^no routes/);
  });
});

describe('explain routes: what the objects really say', () => {
  test('one Service is one host, however it is written (httpbin.demo and its full name); external hosts stay as written', () => {
    const reports = explainRoutes(
      chartOf(
        istio('VirtualService', { hosts: ['httpbin.demo'], http: [{ route: [{ destination: { host: 'httpbin.demo.svc' } }] }] }),
        istio('DestinationRule', {
          host: 'httpbin.demo.svc.cluster.local',
          trafficPolicy: { connectionPool: { tcp: { maxConnections: 1 } } },
        }),
        istio('DestinationRule', { host: 'httpbin.org', trafficPolicy: { tls: { mode: 'SIMPLE' } } }, 'demo', 'httpbin-org'),
      ),
    );
    expect(reports.map((r) => r.host)).toEqual(['httpbin.demo.svc.cluster.local', 'httpbin.org']);
    expect(reports[0]).toMatchObject({
      routes: [{ destinations: [{ host: 'httpbin.demo.svc.cluster.local' }] }],
      policies: [{ source: expect.any(String) }],
    });
  });

  test('S4 with timeout 1s and retries 3 x 1s: retries cut short, effective timeout 1s', () => {
    const [r] = explainRoutes(
      chartOf(
        istio('VirtualService', {
          hosts: ['httpbin'],
          gateways: ['demo/httpbin-gateway', 'mesh'],
          http: [
            {
              route: [{ destination: { host: 'httpbin', port: { number: 8000 } } }],
              timeout: '1s',
              retries: { attempts: 3, perTryTimeout: '1s' },
            },
          ],
        }),
      ),
    );
    expect(r.routes[0]).toMatchObject({
      gateways: ['demo/httpbin-gateway', 'mesh'],
      effectiveTimeoutMs: 1000,
      retriesCutShort: true,
      perTryTimeoutExceedsTimeout: false,
    });
    const text = formatExplain([r]);
    expect(text).toContain('  route (networking.istio.io/v1 VirtualService demo/httpbin, via demo/httpbin-gateway, mesh): every request\n');
    expect(text).toContain('effective timeout: 1s (WARNING: the timeout cuts retries short)');
  });

  test('perTryTimeout above the timeout (patched in by hand) is reported as an error', () => {
    const [r] = explainRoutes(
      chartOf(
        istio('VirtualService', {
          hosts: ['httpbin'],
          http: [
            { route: [{ destination: { host: 'httpbin' } }], timeout: '1s', retries: { attempts: 2, perTryTimeout: '2s', retryOn: '5xx' } },
          ],
        }),
      ),
    );
    expect(r.routes[0]).toMatchObject({ gateways: [], effectiveTimeoutMs: 1000, perTryTimeoutExceedsTimeout: true });
    expect(formatExplain([r])).toContain(
      '    retries: 2 x 2s on 5xx\n    effective timeout: 1s (ERROR: perTryTimeout 2s exceeds the timeout 1s, so no retry can run; lower perTryTimeout to at most the timeout)\n',
    );
  });

  test('retries without a per-try timeout: each attempt may take the whole route timeout', () => {
    const [r] = explainRoutes(
      chartOf(
        istio('VirtualService', {
          hosts: ['httpbin'],
          http: [{ route: [{ destination: { host: 'httpbin' } }], timeout: '5s', retries: { attempts: 3, retryOn: '5xx' } }],
        }),
      ),
    );
    expect(formatExplain([r])).toContain('    retries: 3 x up to the route timeout on 5xx\n    effective timeout: 5s\n');
  });

  test('the hand-written original: outlierDetection inside connectionPool and consecutiveErrors are shown as ignored', () => {
    const [r] = explainRoutes(
      chartOf(
        istio('DestinationRule', {
          host: 'httpbin',
          trafficPolicy: { connectionPool: { tcp: { maxConnections: 1 }, outlierDetection: { consecutiveErrors: 1 } } },
        }),
      ),
    );
    const text = formatExplain([r]);
    expect(text).toContain('connection pool: tcp maxConnections 1 (IGNORED by Istio: outlierDetection inside connectionPool)');
    expect(text).toContain('ejection: off');
  });

  test.each([
    [
      { consecutiveGatewayErrors: 3 },
      'eject a host after 5 consecutive 5xx (Istio default) or 3 consecutive gateway errors, sweeping every 10s, for 30s x times ejected, up to 10% of hosts',
    ],
    [
      { consecutive5xxErrors: 0, consecutiveGatewayErrors: 3, minHealthPercent: 50 },
      'eject a host after 3 consecutive gateway errors, sweeping every 10s, for 30s x times ejected, up to 10% of hosts, paused while under 50% of hosts are healthy',
    ],
    [{ consecutive5xxErrors: 2, consecutiveGatewayErrors: 3 }, 'eject a host after 2 consecutive 5xx, sweeping'],
    [{ consecutive5xxErrors: 0 }, 'off (consecutive5xxErrors 0, no consecutiveGatewayErrors)'],
  ])('ejection %j: Istio ejects after 5 consecutive 5xx unless told otherwise', (outlierDetection, expected) => {
    const [r] = explainRoutes(chartOf(istio('DestinationRule', { host: 'httpbin', trafficPolicy: { outlierDetection } })));
    expect(formatExplain([r])).toContain(`    ejection: ${expected}`);
  });

  test('weights of a split, and no retries set: Istio default', () => {
    const [r] = explainRoutes(
      chartOf(
        istio(
          'VirtualService',
          {
            hosts: ['httpbin'],
            http: [
              {
                route: [
                  { destination: { host: 'httpbin', subset: 'v1', port: { number: 8000 } }, weight: 80 },
                  { destination: { host: 'httpbin', subset: 'v2', port: { number: 8001 } }, weight: 20 },
                ],
              },
            ],
          },
          'canary',
        ),
      ),
    );
    expect(formatExplain([r])).toContain(
      'to: httpbin.canary.svc.cluster.local:8000 subset v1 80%, httpbin.canary.svc.cluster.local:8001 subset v2 20%\n    timeout: none (Istio default)\n    retries: 2 x no per-try timeout on connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes (Istio default)\n    effective timeout: unbounded',
    );
  });

  test('a Flagger Canary: its service settings and how weights shift', () => {
    const [external, r] = explainRoutes(
      chartOf({
        apiVersion: 'flagger.app/v1beta1',
        kind: 'Canary',
        metadata: { name: 'podinfo', namespace: 'test' },
        spec: {
          targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
          service: {
            port: 9898,
            hosts: ['app.example.com'],
            gateways: ['istio-system/public'],
            timeout: '8s',
            retries: { attempts: 3, perTryTimeout: '1s', retryOn: '5xx' },
            trafficPolicy: { outlierDetection: { consecutive5xxErrors: 1 } },
          },
          analysis: { interval: '1m', threshold: 5, stepWeight: 10, maxWeight: 50 },
        },
      }),
    );
    expect(r.host).toBe('podinfo.test.svc.cluster.local');
    expect(external).toMatchObject({ host: 'app.example.com', routes: [{ gateways: ['istio-system/public'], timeout: '8s' }] });
    expect(formatExplain([external])).toContain(
      "route 'generated by Flagger' (flagger.app/v1beta1 Canary test/podinfo, via istio-system/public): every request",
    );
    const text = formatExplain([r]);
    expect(text).toContain('to: podinfo-primary.test.svc.cluster.local:9898 100%, podinfo-canary.test.svc.cluster.local:9898 0%');
    expect(text).toContain('retries: 3 x 1s on 5xx\n    effective timeout: 3s');
    expect(text).toContain('ejection: eject a host after 1 consecutive 5xx');
    expect(text).toContain(
      'progressive delivery (flagger.app/v1beta1 Canary test/podinfo): primary 100% → canary weight +10% per step up to 50% every 1m, then promotion; rolls back after 5 failed checks',
    );
  });

  test('durations: Istio and Go forms', () => {
    expect([durationMs('3m'), durationMs('1h30m'), durationMs('1.5s'), durationMs('250ms'), durationMs('soon')]).toEqual([
      180000,
      5400000,
      1500,
      250,
      undefined,
    ]);
  });
});

describe('mesh explain routes (CLI)', () => {
  test('prints the report of one environment and host', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-explain-'));
    // Production with its demos opted in (it has none by default).
    fs.writeFileSync(
      path.join(dir, 'Pulumi.prod.yaml'),
      'config:\n  mesh:tier: production\n  mesh:demo: { apps: [httpbin, sleep] }\n  mesh:canary: { httpbinCanary: { enabled: true } }\n' +
        `  mesh:ingress: ${JSON.stringify(PRODUCTION_REQUIRED['mesh:ingress'])}\n  mesh:gitops: ${JSON.stringify(PRODUCTION_REQUIRED['mesh:gitops'])}\n`,
    );
    const text = runCli(['explain', 'routes', '--env', 'prod', '--host', 'httpbin', '--config-dir', dir]).out;
    expect(text).toMatch(/^httpbin\.demo\.svc\.cluster\.local\n/);
    expect(text).toContain('timeout: 8s\n    retries: 3 x 1s on 5xx,');
    expect(text).toContain('effective timeout: 3s');
    expect(text).not.toContain('faults:');
  });

  test('the repository environments explain without error', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const text = runCli(['explain', 'routes', '--env', env, '--config-dir', root]).out;
      // prod deploys no demo app, so it has no route to explain.
      if (env === 'prod') expect(text).toMatch(/^no routes: /);
      else expect(text).toContain('httpbin.demo.svc.cluster.local');
    }
  });
});
