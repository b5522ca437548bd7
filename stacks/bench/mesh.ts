import { App, Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Layer, LayerChart, ZeroTrustChart } from '../../charts';
import {
  CanaryRelease,
  jaegerTracingProvider,
  MeshApp,
  MeshNamespace,
  MtlsMode,
  prometheusIdentity,
  Protocol,
  ResilientRoute,
  RetryOn,
  Strategy,
  Webhook,
} from '../../constructs';
import { securityDefaults } from '../environments/security';

/** One service of a synthetic mesh: plain data, as a user would declare it in config. */
export interface BenchService {
  readonly name: string;
  readonly namespace: string;
  /** Indexes of the services it calls. */
  readonly calls: readonly number[];
  /** Rolled out by Flagger. */
  readonly canary: boolean;
}

/** Services per namespace in a synthetic mesh. */
export const BENCH_SERVICES_PER_NAMESPACE = 50;

/**
 * The declaration of a synthetic mesh of `size` services: namespaces of {@link BENCH_SERVICES_PER_NAMESPACE}
 * services; each service calls three others (the next one, one seven further, and one in the next namespace
 * when there is more than one); every fourth service is canaried.
 */
export function benchMeshDeclaration(size: number): BenchService[] {
  if (!Number.isInteger(size) || size < 4) throw new Error(`bench mesh size ${size} must be a whole number of at least 4`);
  const namespaceOf = (i: number) => `team-${String(Math.floor(i / BENCH_SERVICES_PER_NAMESPACE)).padStart(3, '0')}`;
  return Array.from({ length: size }, (_, i) => ({
    name: `svc-${String(i).padStart(5, '0')}`,
    namespace: namespaceOf(i),
    calls: [...new Set([(i + 1) % size, (i + 7) % size, (i + BENCH_SERVICES_PER_NAMESPACE + 3) % size])].filter((j) => j !== i),
    canary: i % 4 === 0,
  }));
}

/** The number of declared calls (service pairs) of a declaration. */
export function declaredCalls(services: readonly BenchService[]): number {
  return services.reduce((n, s) => n + s.calls.length, 0);
}

/**
 * The construct tree of a synthetic mesh, built as `buildPlatform` builds apps: a layer-`apps` chart per
 * namespace with its MeshApps, their calls, a Flagger CanaryRelease on the canaried ones and a ResilientRoute
 * on every one (after its release, so that a canaried app's policy goes into its Canary), then the
 * ZeroTrustChart over all apps (STRICT mTLS, default deny, scoped Sidecars, NetworkPolicies).
 * The platform (Istio, Flagger) is taken as installed: render it with {@link BENCH_CLUSTER_API_GROUPS}.
 */
export function buildBenchMesh(services: readonly BenchService[]): App {
  const app = new App();
  const charts = new Map<string, LayerChart>();
  const apps = services.map((s) => {
    let chart = charts.get(s.namespace);
    if (!chart) {
      chart = new LayerChart(app, s.namespace, { layer: Layer.APPS, namespace: s.namespace });
      new MeshNamespace(chart, 'namespace', { name: s.namespace });
      charts.set(s.namespace, chart);
    }
    return new MeshApp(chart, s.name, {
      image: `registry.example.com/${s.namespace}/${s.name}:1.0.0`,
      ports: [{ port: 8080, protocol: Protocol.HTTP, name: 'http' }],
      readiness: kplus.Probe.fromHttpGet('/healthz', { port: 8080 }),
      replicas: s.canary ? undefined : 2,
      autoscaling: s.canary ? { minReplicas: 2, maxReplicas: 4, cpuUtilization: 80 } : undefined,
      resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
      podDisruptionBudget: true,
    });
  });
  services.forEach((s, i) => apps[i].calls(...s.calls.map((j) => apps[j])));
  services.forEach((s, i) => {
    const chart = charts.get(s.namespace)!;
    if (s.canary) {
      new CanaryRelease(chart, `${s.name}-release`, {
        app: apps[i],
        strategy: Strategy.progressive({ stepWeight: 10, maxWeight: 50 }),
        webhooks: [Webhook.heyLoadTest({ path: '/healthz' })],
      });
    }
    new ResilientRoute(chart, `${s.name}-route`, {
      app: apps[i],
      timeout: Duration.seconds(10),
      retries: { attempts: 2, perTryTimeout: Duration.seconds(3), retryOn: [RetryOn.GATEWAY_ERROR, RetryOn.CONNECT_FAILURE] },
      outlierDetection: {
        consecutive5xxErrors: 5,
        interval: Duration.seconds(10),
        baseEjectionTime: Duration.seconds(30),
        maxEjectionPercent: 50,
      },
    });
  });
  new ZeroTrustChart(app, 'zero-trust', {
    apps,
    production: true,
    mtls: MtlsMode.STRICT,
    defaultDeny: true,
    sidecarScoping: true,
    networkPolicies: true,
    ingressGateway: securityDefaults.ingressGateway,
    exposedApps: [],
    prometheus: prometheusIdentity(),
    tracingCollector: jaegerTracingProvider(),
  });
  return app;
}

/** API groups of the platform the synthetic mesh runs on (installed by the environment's platform layers). */
export const BENCH_CLUSTER_API_GROUPS: readonly string[] = [
  'networking.istio.io',
  'security.istio.io',
  'telemetry.istio.io',
  'flagger.app',
];

/** The baseline: the same services as plain cdk8s-plus Deployments and Services, one chart per namespace. */
export function buildBaseline(services: readonly BenchService[]): App {
  const app = new App();
  const charts = new Map<string, Chart>();
  for (const s of services) {
    let chart = charts.get(s.namespace);
    if (!chart) charts.set(s.namespace, (chart = new Chart(app, s.namespace, { namespace: s.namespace, disableResourceNameHashes: true })));
    const deployment = new kplus.Deployment(chart, s.name, {
      replicas: 2,
      containers: [
        {
          image: `registry.example.com/${s.namespace}/${s.name}:1.0.0`,
          ports: [{ number: 8080, name: 'http' }],
          readiness: kplus.Probe.fromHttpGet('/healthz', { port: 8080 }),
          resources: {
            cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(500) },
            memory: { request: Size.mebibytes(64), limit: Size.mebibytes(256) },
          },
        },
      ],
    });
    deployment.exposeViaService({ name: s.name, ports: [{ port: 8080, targetPort: 8080, name: 'http' }] });
  }
  return app;
}
