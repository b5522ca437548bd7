import { Duration, JsonPatch, Testing, Yaml } from 'cdk8s';
import { Layer, LayerChart } from '../../../charts';
import { CanaryRelease, LoadBalancer, MeshApp, ResilientRoute, ResilientRouteProps, RetryOn, Strategy } from '../../../constructs';
import { renderCharts } from '../../../stacks/engines/render';
import { FLAGGER_API_GROUPS, ISTIO_API_GROUPS } from '../../../constructs';

/** ResilientRoute with the real CanaryRelease: one API, rendered into the Canary's spec.service. */
describe('ResilientRoute on a CanaryRelease (integration)', () => {
  function setup() {
    const app = Testing.app();
    const chart = new LayerChart(app, 'apps', { layer: Layer.APPS, namespace: 'demo' });
    const httpbin = new MeshApp(chart, 'httpbin', {
      image: 'docker.io/mccutchen/go-httpbin:v2.15.0',
      ports: [{ port: 8000, targetPort: 8080 }],
    });
    const release = new CanaryRelease(chart, 'canary', {
      app: httpbin,
      strategy: Strategy.progressive({ stepWeight: 20, maxWeight: 100 }),
    });
    return { app, chart, httpbin, release };
  }

  test("S4's policy lands in the Canary's spec.service, with upstream field names, and no VirtualService/DestinationRule of its own", () => {
    const { app, chart, httpbin, release } = setup();
    const route = new ResilientRoute(chart, 'route', {
      app: httpbin,
      timeout: Duration.seconds(8),
      retries: { attempts: 3, perTryTimeout: Duration.seconds(1), retryOn: [RetryOn.FIVE_XX, RetryOn.GATEWAY_ERROR] },
      connectionPool: { http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } },
      outlierDetection: {
        consecutive5xxErrors: 1,
        interval: Duration.seconds(1),
        baseEjectionTime: Duration.minutes(3),
        maxEjectionPercent: 100,
      },
      loadBalancer: LoadBalancer.consistentHash.byHeader('x-user'),
    });
    expect(route.routingController).toBe(release);
    // The app holds only the app: Istio's and Flagger's CRDs come from the platform already on the cluster.
    const objects = renderCharts(app, { clusterApiGroups: [...ISTIO_API_GROUPS, ...FLAGGER_API_GROUPS] }).flatMap(
      (c) => c.objects,
    ) as any[];
    const canary = objects.find((o) => o.kind === 'Canary');
    expect(canary.spec.service).toMatchObject({
      timeout: '8s',
      retries: { attempts: 3, perTryTimeout: '1s', retryOn: '5xx,gateway-error' },
      trafficPolicy: {
        connectionPool: { http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } },
        outlierDetection: { consecutive5xxErrors: 1, interval: '1s', baseEjectionTime: '3m', maxEjectionPercent: 100 },
        loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } },
      },
    });
    expect(objects.filter((o) => o.kind === 'VirtualService' || o.kind === 'DestinationRule')).toEqual([]);
  });

  test("fails when S4's misplaced original (outlierDetection inside connectionPool) is patched into the Canary", () => {
    const { app, chart, httpbin, release } = setup();
    new ResilientRoute(chart, 'route', { app: httpbin, connectionPool: { http: { http1MaxPendingRequests: 1 } } });
    release.apiObject.addJsonPatch(
      JsonPatch.add('/spec/service/trafficPolicy/connectionPool/outlierDetection', { consecutiveErrors: 1, interval: '1s' }),
    );
    expect(() => renderCharts(app)).toThrow(
      'apps/route: Canary demo/httpbin: spec.service.trafficPolicy.connectionPool.outlierDetection is misplaced: a cluster drops it silently and circuit breaking is off; move it up to spec.service.trafficPolicy.outlierDetection (a sibling of connectionPool)',
    );
  });

  test('fails when the deprecated consecutiveErrors is patched into the Canary', () => {
    const { app, chart, httpbin, release } = setup();
    new ResilientRoute(chart, 'route', { app: httpbin, outlierDetection: { consecutive5xxErrors: 1 } });
    release.apiObject.addJsonPatch(JsonPatch.add('/spec/service/trafficPolicy/outlierDetection/consecutiveErrors', 1));
    expect(() => renderCharts(app)).toThrow(
      'Canary demo/httpbin: spec.service.trafficPolicy.outlierDetection.consecutiveErrors (1) is deprecated and ignored by current Istio; use consecutive5xxErrors',
    );
  });

  /** The app, its route and its release, created in the given order; the output of the chart, as YAML. */
  function build(order: 'route first' | 'release first', routeProps: Partial<ResilientRouteProps> = {}) {
    const app = Testing.app();
    const chart = new LayerChart(app, 'apps', { layer: Layer.APPS, namespace: 'demo' });
    const httpbin = new MeshApp(chart, 'httpbin', {
      image: 'docker.io/mccutchen/go-httpbin:v2.15.0',
      ports: [{ port: 8000, targetPort: 8080 }],
    });
    const steps = {
      route: () =>
        new ResilientRoute(chart, 'route', {
          app: httpbin,
          timeout: Duration.seconds(8),
          outlierDetection: { consecutive5xxErrors: 1 },
          ...routeProps,
        }),
      release: () =>
        new CanaryRelease(chart, 'canary', {
          app: httpbin,
          strategy: Strategy.progressive({ stepWeight: 20, maxWeight: 100 }),
          traffic: { retries: { attempts: 2 } },
        }),
    };
    const route = order === 'route first' ? steps.route() : undefined;
    const release = steps.release();
    const routeAfter = order === 'release first' ? steps.route() : route!;
    const objects = renderCharts(app, { clusterApiGroups: [...ISTIO_API_GROUPS, ...FLAGGER_API_GROUPS] }).flatMap((c) => c.objects);
    return { route: routeAfter, release, yaml: Yaml.stringify(...objects), objects: objects as any[] };
  }

  test('a CanaryRelease created after the route takes its settings over: the output is byte-identical to the other order', () => {
    const before = build('route first');
    const after = build('release first');
    expect(before.yaml).toEqual(after.yaml);
    expect(before.route.routingController).toBe(before.release);
    expect(before.route.virtualService).toBeUndefined();
    expect(before.route.destinationRule).toBeUndefined();
    expect(before.objects.filter((o) => o.kind === 'VirtualService' || o.kind === 'DestinationRule')).toEqual([]);
    expect(before.objects.find((o) => o.kind === 'Canary').spec.service).toMatchObject({
      timeout: '8s',
      retries: { attempts: 2 },
      trafficPolicy: { outlierDetection: { consecutive5xxErrors: 1 } },
    });
  });

  test('fails when a route created before the CanaryRelease asks for what the Canary cannot carry (as after)', () => {
    for (const order of ['route first', 'release first'] as const) {
      expect(() => build(order, { faults: { abort: { httpStatus: 503, percentage: 10 } } })).toThrow(
        "ResilientRoute apps/route: 'faults' cannot be applied: CanaryRelease apps/canary owns the routing of 'httpbin'",
      );
    }
  });
});
