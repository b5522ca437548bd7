import { buildPlatform } from '../../../stacks/composition/platform';
import { KubeObject, renderCharts } from '../../../stacks/engines/render';
import { configProblems } from '../../support/config-problems';
import { NO_DEMOS, shopEnvironment } from '../../support/shop';

/** The app-model keys the demos needed (command, args, probes, writable paths, secrets, resilience, release, versions). */

function render(apps: unknown, extra: Record<string, unknown> = {}): KubeObject[] {
  return renderCharts(buildPlatform(shopEnvironment(apps, extra))).flatMap((c) => c.objects) as KubeObject[];
}
function find(objects: readonly KubeObject[], kind: string, name: string, namespace = 'shop'): any {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace);
  if (!found) throw new Error(`no ${kind} ${namespace}/${name}`);
  return found;
}
const problems = (apps: unknown, extra: Record<string, unknown> = {}) => configProblems(() => shopEnvironment(apps, extra));
const web = { image: 'web:1', ports: [{ port: 8080 }] };

describe('mesh:apps: container settings', () => {
  test('command, args, probes, writable paths and secret mounts reach the container', () => {
    const objects = render({
      shop: {
        client: {
          image: 'curl:8',
          ports: [{ port: 80 }],
          command: ['/bin/sleep'],
          args: ['infinity'],
          probes: { readiness: { exec: ['/bin/true'] }, liveness: { exec: ['/bin/true'], initialDelay: '5s', failureThreshold: 2 } },
          writablePaths: ['/tmp'],
          secretMounts: [{ secretName: 'client-tls', mountPath: '/etc/client/tls', optional: true }],
        },
        web: { ...web, probes: { readiness: { httpGet: { path: '/healthz' } }, liveness: { tcpSocket: {}, initialDelay: '1m' } } },
      },
    });
    const client = find(objects, 'Deployment', 'client').spec.template.spec;
    expect(client.containers[0]).toMatchObject({
      command: ['/bin/sleep'],
      args: ['infinity'],
      readinessProbe: { exec: { command: ['/bin/true'] } },
      livenessProbe: { exec: { command: ['/bin/true'] }, initialDelaySeconds: 5, failureThreshold: 2 },
    });
    expect(client.containers[0].volumeMounts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ mountPath: '/tmp' }),
        { mountPath: '/etc/client/tls', name: 'secret-0', readOnly: true },
      ]),
    );
    expect(client.volumes).toContainEqual({ name: 'secret-0', secret: { secretName: 'client-tls', optional: true } });
    const webContainer = find(objects, 'Deployment', 'web').spec.template.spec.containers[0];
    expect(webContainer.readinessProbe).toMatchObject({ httpGet: { path: '/healthz', port: 8080 } });
    expect(webContainer.livenessProbe).toMatchObject({ tcpSocket: { port: 8080 }, initialDelaySeconds: 60, failureThreshold: 3 });
  });

  test('without probes an app keeps the default checks (HTTP GET / on its HTTP port)', () => {
    const container = find(render({ shop: { web } }), 'Deployment', 'web').spec.template.spec.containers[0];
    expect(container.readinessProbe).toMatchObject({ httpGet: { path: '/', port: 8080 } });
    expect(container.command).toBeUndefined();
  });

  test('a version served on its own port gets its env and is probed on its own container port', () => {
    const objects = render({
      shop: {
        web: {
          image: 'web:1',
          ports: [
            { port: 8000, targetPort: 8080 },
            { port: 8001, targetPort: 8888 },
          ],
          probes: { readiness: { httpGet: { path: '/status/200' } } },
          versions: [
            { name: 'v1', weight: 80, port: 8000 },
            { name: 'v2', weight: 20, port: 8001, env: { PORT: '8888' }, headers: { 'end-user': 'jason' } },
          ],
        },
      },
    });
    const v1 = find(objects, 'Deployment', 'web-v1').spec.template.spec.containers[0];
    const v2 = find(objects, 'Deployment', 'web-v2').spec.template.spec.containers[0];
    expect(v1.readinessProbe.httpGet.port).toBe(8080);
    expect(v2.readinessProbe.httpGet.port).toBe(8888);
    expect(v2.livenessProbe.httpGet.port).toBe(8888);
    expect(v2.env).toContainEqual({ name: 'PORT', value: '8888' });
    expect(v1.env ?? []).not.toContainEqual({ name: 'PORT', value: '8888' });
    expect(find(objects, 'VirtualService', 'web').spec.http).toEqual([
      {
        name: 'v2-by-end-user',
        match: [{ headers: { 'end-user': { exact: 'jason' } } }],
        route: [{ destination: { host: 'web.shop.svc.cluster.local', subset: 'v2', port: { number: 8001 } } }],
      },
      {
        name: 'weighted',
        route: [
          { destination: { host: 'web.shop.svc.cluster.local', subset: 'v1', port: { number: 8000 } }, weight: 80 },
          { destination: { host: 'web.shop.svc.cluster.local', subset: 'v2', port: { number: 8001 } }, weight: 20 },
        ],
      },
    ]);
  });
});

describe('mesh:apps: resilience and release settings', () => {
  test('retry conditions, the whole circuit breaker and header-scoped faults', () => {
    const objects = render({
      shop: {
        web: {
          ...web,
          resilience: {
            timeout: '8s',
            retries: { attempts: 3, perTryTimeout: '1s', retryOn: ['5xx', 'gateway-error', 'unavailable'] },
            circuitBreaker: {
              maxConnections: 1,
              maxPendingRequests: 1,
              maxRequestsPerConnection: 1,
              consecutive5xxErrors: 1,
              interval: '1s',
              baseEjectionTime: '3m',
              maxEjectionPercent: 100,
            },
            faults: { abort: { httpStatus: 503, percentage: 50 }, delay: { fixedDelay: '2s', percentage: 10 } },
          },
        },
      },
    });
    expect(find(objects, 'DestinationRule', 'web').spec.trafficPolicy).toEqual({
      connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } },
      outlierDetection: { consecutive5xxErrors: 1, interval: '1s', baseEjectionTime: '3m', maxEjectionPercent: 100 },
    });
    const http = find(objects, 'VirtualService', 'web').spec.http;
    expect(http[0]).toMatchObject({
      match: [{ headers: { 'x-fault-test': { exact: 'true' } } }],
      fault: { abort: { httpStatus: 503, percentage: { value: 50 } }, delay: { fixedDelay: '2s', percentage: { value: 10 } } },
    });
    expect(http.at(-1)).toMatchObject({
      timeout: '8s',
      retries: { attempts: 3, perTryTimeout: '1s', retryOn: '5xx,gateway-error,unavailable' },
    });
  });

  test('faults are refused where the environment does not allow them (production)', () => {
    expect(() =>
      render(
        { shop: { web: { ...web, resilience: { faults: { abort: { httpStatus: 503, percentage: 50 } } } } } },
        { 'mesh:resilience': { allowFaults: false } },
      ),
    ).toThrow(/fault injection is not allowed in this environment/);
  });

  test("a release's progress deadline, webhook timeout, manual gate and the environment's alert provider", () => {
    const objects = render(
      {
        shop: {
          web: {
            ...web,
            release: {
              strategy: 'canary',
              progressDeadline: '60s',
              webhookTimeout: '5s',
              manualPromotion: true,
              loadTest: { path: '/headers' },
            },
          },
        },
      },
      { 'mesh:canary': { ...NO_DEMOS['mesh:canary'], alerts: { channel: 'slack', secretName: 'slack-url' } } },
    );
    const canary = find(objects, 'Canary', 'web');
    expect(canary.spec.progressDeadlineSeconds).toBe(60);
    expect(canary.spec.analysis.webhooks.map((w: any) => [w.name, w.timeout])).toEqual([
      ['load-test', '5s'],
      ['confirm-promotion', '5s'],
    ]);
    expect(canary.spec.analysis.alerts).toEqual([
      expect.objectContaining({ providerRef: expect.objectContaining({ name: expect.any(String) }) }),
    ]);
  });

  test('istioMutualTls: ISTIO_MUTUAL beside the traffic policy, in the DestinationRule or the Canary', () => {
    const objects = render({
      shop: {
        web: { ...web, istioMutualTls: true, release: { strategy: 'canary' } },
        cart: { ...web, istioMutualTls: true, resilience: { circuitBreaker: { consecutive5xxErrors: 2 } } },
      },
    });
    expect(find(objects, 'Canary', 'web').spec.service.trafficPolicy).toMatchObject({ tls: { mode: 'ISTIO_MUTUAL' } });
    expect(find(objects, 'DestinationRule', 'cart').spec.trafficPolicy).toMatchObject({
      tls: { mode: 'ISTIO_MUTUAL' },
      outlierDetection: { consecutive5xxErrors: 2 },
    });
  });

  test('expose: paths may be exact or prefixes; without hosts the gateway routes its own hosts', () => {
    const objects = render({ shop: { web: { ...web, expose: { paths: [{ exact: '/login' }, { prefix: '/static' }, '/api'] } } } });
    const gateway = find(objects, 'VirtualService', 'web-gateway').spec;
    expect(gateway.http[0].match).toEqual([{ uri: { exact: '/login' } }, { uri: { prefix: '/static' } }, { uri: { prefix: '/api' } }]);
    expect(gateway.hosts.length).toBeGreaterThan(0);
  });
});

describe('mesh:apps: validation of the new keys', () => {
  test('fails when a probe has no check, or two', () => {
    expect(problems({ shop: { web: { ...web, probes: { readiness: { initialDelay: '5s' } } } } })).toEqual([
      'Pulumi.dev.yaml: mesh:apps.shop.web.probes.readiness: must have exactly one of httpGet, exec and tcpSocket (it has none); such as { httpGet: { path: /healthz } }',
    ]);
    expect(problems({ shop: { web: { ...web, probes: { liveness: { exec: ['/bin/true'], tcpSocket: {} } } } } })).toEqual([
      expect.stringContaining(
        'mesh:apps.shop.web.probes.liveness: must have exactly one of httpGet, exec and tcpSocket (it has exec and tcpSocket)',
      ),
    ]);
  });

  test('fails when a probe checks a port the container does not serve', () => {
    expect(problems({ shop: { web: { ...web, probes: { readiness: { httpGet: { path: '/', port: 9090 } } } } } })).toEqual([
      "Pulumi.dev.yaml: mesh:apps.shop.web.probes.readiness.httpGet.port: port 9090 is not a container port of the app (container ports: 8080); use one of them, or leave port out for the app's first HTTP port",
    ]);
  });

  test('fails when a probe path, a writable path or a mount path is not absolute', () => {
    expect(problems({ shop: { web: { ...web, probes: { readiness: { httpGet: { path: 'healthz' } } } } } })).toEqual([
      expect.stringContaining('mesh:apps.shop.web.probes.readiness.httpGet.path: must start with /'),
    ]);
    expect(problems({ shop: { web: { ...web, writablePaths: ['tmp'] } } })).toEqual([
      expect.stringContaining('mesh:apps.shop.web.writablePaths.0: must be an absolute path such as /tmp'),
    ]);
    expect(problems({ shop: { web: { ...web, secretMounts: [{ secretName: 'web-tls', mountPath: 'etc/tls' }] } } })).toEqual([
      expect.stringContaining('mesh:apps.shop.web.secretMounts.0.mountPath: must be an absolute path such as /tmp'),
    ]);
  });

  test('fails when a secret mount names no valid Secret or has an unknown key', () => {
    expect(problems({ shop: { web: { ...web, secretMounts: [{ secretName: 'Web_TLS', mountPath: '/etc/tls' }] } } })).toEqual([
      expect.stringContaining('mesh:apps.shop.web.secretMounts.0.secretName: must be a Secret name such as web-tls'),
    ]);
    expect(problems({ shop: { web: { ...web, secretMounts: [{ secret: 'web-tls', mountPath: '/etc/tls' }] } } })).toEqual(
      expect.arrayContaining([expect.stringContaining('mesh:apps.shop.web.secretMounts.0.secret: unknown key')]),
    );
  });

  test('fails when command is empty', () => {
    expect(problems({ shop: { web: { ...web, command: [] } } })).toEqual([expect.stringContaining('mesh:apps.shop.web.command:')]);
  });

  test('fails when a retry condition is unknown', () => {
    expect(problems({ shop: { web: { ...web, resilience: { retries: { attempts: 2, retryOn: ['5xx', 'timeout'] } } } } })).toEqual([
      expect.stringMatching(
        /^Pulumi\.dev\.yaml: mesh:apps\.shop\.web\.resilience\.retries\.retryOn\.1: must be a retry condition: one of 5xx, gateway-error/,
      ),
    ]);
  });

  test('fails when faults set neither abort nor delay, or come with a Flagger release', () => {
    expect(problems({ shop: { web: { ...web, resilience: { faults: {} } } } })).toEqual([
      expect.stringContaining('mesh:apps.shop.web.resilience.faults: must set abort, delay or both'),
    ]);
    const faults = { abort: { httpStatus: 503, percentage: 50 } };
    expect(problems({ shop: { web: { ...web, release: { strategy: 'canary' }, resilience: { faults } } } })).toEqual([
      "Pulumi.dev.yaml: mesh:apps.shop.web.resilience.faults: cannot be combined with release strategy canary: Flagger owns the app's routing and its Canary has no fault injection; remove resilience.faults or set release.strategy: rolling",
    ]);
    expect(
      problems({ shop: { web: { ...web, release: { strategy: 'canary' }, resilience: { circuitBreaker: { maxConnections: 1 } } } } }),
    ).toEqual([
      expect.stringContaining(
        'mesh:apps.shop.web.resilience.circuitBreaker.maxConnections: cannot be combined with release strategy canary',
      ),
    ]);
  });

  test("fails when a version's port is not a port of the app, or its header is not a lowercase name", () => {
    const versions = [
      { name: 'v1', weight: 50 },
      { name: 'v2', weight: 50, port: 8001 },
    ];
    expect(problems({ shop: { web: { ...web, versions } } })).toEqual([
      'Pulumi.dev.yaml: mesh:apps.shop.web.versions.1.port: port 8001 is not a port of the app (ports: 8080); use one of them, or add it to ports',
    ]);
    const byHeader = [
      { name: 'v1', weight: 50 },
      { name: 'v2', weight: 50, headers: { 'End-User': 'jason' } },
    ];
    expect(problems({ shop: { web: { ...web, versions: byHeader } } })).toEqual([
      expect.stringContaining('mesh:apps.shop.web.versions.1.headers.End-User'),
    ]);
  });

  test('fails when a release setting of the new ones is set on a rolling update', () => {
    expect(problems({ shop: { web: { ...web, release: { strategy: 'rolling', progressDeadline: '60s' } } } })).toEqual([
      expect.stringContaining('mesh:apps.shop.web.release.progressDeadline: is not a setting of strategy rolling'),
    ]);
  });

  test('fails when a weighted split is exposed without hosts', () => {
    const versions = [
      { name: 'v1', weight: 50 },
      { name: 'v2', weight: 50 },
    ];
    expect(problems({ shop: { web: { ...web, versions, expose: {} } } })).toEqual([
      "Pulumi.dev.yaml: mesh:apps.shop.web.expose: a weighted split is exposed on named hosts only (its VirtualService serves the app's Service host and these); add expose.hosts, such as [shop.example.com]",
    ]);
  });

  test('fails when an exposed path is neither a prefix string nor { exact } / { prefix }', () => {
    expect(problems({ shop: { web: { ...web, expose: { paths: [{ regex: '/a.*' }] } } } })).toEqual([
      expect.stringContaining('mesh:apps.shop.web.expose.paths.0'),
    ]);
  });
});
