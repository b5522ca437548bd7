import { App, Duration, JsonPatch } from 'cdk8s';
import { Construct } from 'constructs';
import { Layer, LayerChart } from '../../charts';
import {
  CanaryMetric,
  CanaryRelease,
  goDuration,
  IMeshGateway,
  IMetricTemplate,
  MeshApp,
  MeshNamespace,
  Protocol,
  RequestMatch,
  ResilientRoute,
  Strategy,
  StringMatch,
  Webhook,
  WeightedSplit,
} from '../../constructs';
import { EnvironmentConfig, resilienceDefaults } from '../environments';
import { AppSettings, releaseDefaults, ReleaseDefaults } from '../environments/apps';

/** What the apps of `mesh:apps` bind to. */
export interface UserAppsInputs {
  /** The public gateway exposed apps are routed through. */
  readonly gateway: IMeshGateway;
  /** The platform's P99 latency MetricTemplate, the latency check of every release. */
  readonly latency: IMetricTemplate;
}

/** The apps of one namespace of `mesh:apps`: its MeshNamespace and MeshApps, their routes and releases (layer apps). */
export class UserAppsChart extends LayerChart {
  /** The namespace (sidecar injection enabled). */
  readonly meshNamespace: MeshNamespace;
  /** The apps, by name. */
  readonly apps: ReadonlyMap<string, MeshApp>;
  /** The Flagger releases, by app name. */
  readonly releases = new Map<string, CanaryRelease>();
  /** The resilience routes, by app name. */
  readonly routes = new Map<string, ResilientRoute>();
  /** The manual weighted splits, by app name. */
  readonly splits = new Map<string, WeightedSplit>();

  constructor(scope: Construct, id: string, namespace: string, apps: Record<string, AppSettings>, config: EnvironmentConfig) {
    super(scope, id, { layer: Layer.APPS, namespace });
    this.meshNamespace = new MeshNamespace(this, 'namespace', { name: namespace });
    const { replicas, resources, podDisruptionBudget } = config.workloads;
    const built = new Map<string, MeshApp>();
    for (const [name, app] of Object.entries(apps)) {
      built.set(
        name,
        new MeshApp(this, name, {
          image: app.image,
          ports: app.ports.map((p) => ({ port: p.port, targetPort: p.targetPort, protocol: protocolOf(p.protocol) })),
          replicas: app.replicas ?? replicas,
          resources: app.resources ?? resources,
          podDisruptionBudget,
          autoscaling: app.autoscaling,
          env: app.env,
          versions: app.versions?.map((v) => ({ name: v.name, image: v.image, replicas: v.replicas })),
        }),
      );
    }
    this.apps = built;
  }

  /**
   * The releases, weighted splits and routes of the namespace's apps; after every app of every namespace
   * exists (a route is rendered by the release that owns the app's routing, so releases come first).
   */
  addTraffic(apps: Record<string, AppSettings>, config: EnvironmentConfig, inputs: UserAppsInputs): void {
    const tierDefaults = releaseDefaults[config.tier];
    const defaults = resilienceDefaults(config.resilience);
    for (const [name, settings] of Object.entries(apps)) {
      const app = this.apps.get(name)!;
      const expose = settings.expose;
      const strategy = settings.release?.strategy ?? 'rolling';
      const port = app.ports.find((p) => p.protocol.isHttp);
      if (strategy !== 'rolling') {
        this.releases.set(name, this.release(app, settings, { ...tierDefaults, ...definedOf(settings.release ?? {}) }, inputs));
      } else if (settings.versions) {
        this.splits.set(
          name,
          new WeightedSplit(this, `${name}-split`, {
            app,
            weights: settings.versions.map((v) => ({ version: v.name, weight: v.weight })),
            gateways: expose ? [inputs.gateway] : undefined,
            hosts: expose?.hosts,
          }),
        );
        // The split owns the app's VirtualService: no second route.
        continue;
      }
      if (!port) continue;
      const r = settings.resilience;
      const canaried = this.releases.has(name);
      this.routes.set(
        name,
        new ResilientRoute(this, `${name}-route`, {
          app,
          port: port.port,
          timeout: r?.timeout ? goDuration(r.timeout) : undefined,
          retries: r?.retries && {
            attempts: r.retries.attempts,
            perTryTimeout: r.retries.perTryTimeout ? goDuration(r.retries.perTryTimeout) : undefined,
          },
          connectionPool: r?.circuitBreaker?.maxPendingRequests
            ? { http: { http1MaxPendingRequests: r.circuitBreaker.maxPendingRequests } }
            : undefined,
          outlierDetection: r?.circuitBreaker && {
            consecutive5xxErrors: r.circuitBreaker.consecutive5xxErrors ?? defaults.outlierDetection?.consecutive5xxErrors,
            interval: defaults.outlierDetection?.interval,
            baseEjectionTime: r.circuitBreaker.baseEjectionTime
              ? goDuration(r.circuitBreaker.baseEjectionTime)
              : defaults.outlierDetection?.baseEjectionTime,
            maxEjectionPercent: r.circuitBreaker.maxEjectionPercent ?? defaults.outlierDetection?.maxEjectionPercent,
          },
          // A canaried app is exposed by its release (Flagger's VirtualService binds the gateway).
          gateways: expose && !canaried ? [inputs.gateway] : undefined,
          hosts: expose && !canaried ? expose.hosts : undefined,
          defaults,
        }),
      );
      // Only the listed paths are routed from the gateway (in-mesh callers keep every path): the gateway's
      // VirtualService has the one route of the policy, which gets the path match.
      const gatewayRoute = this.routes.get(name)!.gatewayVirtualService;
      if (expose?.paths && gatewayRoute) {
        gatewayRoute.addJsonPatch(
          JsonPatch.add(
            '/spec/http/0/match',
            expose.paths.map((p) => ({ uri: StringMatch.prefix(p).toJson() })),
          ),
        );
      }
    }
  }

  private release(app: MeshApp, settings: AppSettings, analysis: ReleaseDefaults, inputs: UserAppsInputs): CanaryRelease {
    const release = settings.release!;
    const strategy =
      release.strategy === 'canary'
        ? Strategy.progressive({ stepWeight: analysis.stepWeight, maxWeight: analysis.maxWeight })
        : release.strategy === 'abTesting'
          ? Strategy.abTesting({
              iterations: analysis.iterations,
              match: Object.entries(release.headers ?? {}).map(([header, value]) => RequestMatch.header(header, value)),
            })
          : release.strategy === 'blueGreen'
            ? Strategy.blueGreen({ iterations: analysis.iterations })
            : Strategy.blueGreenMirroring({ iterations: analysis.iterations, mirrorWeight: release.mirrorWeight });
    const interval = goDuration(analysis.interval);
    const expose = settings.expose;
    return new CanaryRelease(this, `${app.name}-release`, {
      app,
      strategy,
      gateways: expose ? [inputs.gateway] : undefined,
      hosts: expose?.hosts,
      interval,
      threshold: analysis.threshold,
      metrics: [
        CanaryMetric.requestSuccessRate({ min: analysis.successRate, interval: Duration.minutes(1) }),
        CanaryMetric.fromTemplate(inputs.latency, { max: analysis.maxLatency, interval: Duration.seconds(30) }),
      ],
      webhooks: [
        ...(analysis.loadTest
          ? [
              Webhook.heyLoadTest({
                path: analysis.loadTest.path ?? '/',
                duration: Duration.minutes(1),
                requestsPerSecond: analysis.loadTest.requestsPerSecond ?? 10,
                concurrency: analysis.loadTest.concurrency ?? 2,
              }),
            ]
          : []),
        ...(analysis.manualPromotion ? [Webhook.confirmPromotion()] : []),
      ],
    });
  }
}

/**
 * The apps of `mesh:apps`: one chart `user-apps-<namespace>` per namespace (layer apps), then every
 * declared call (`app.calls()`, so the ZeroTrustChart governs them), then releases, splits and routes.
 * Chart ids are a public contract. Nothing is created when `mesh:apps` is empty.
 */
export function addUserApps(app: App, config: EnvironmentConfig, inputs: UserAppsInputs): UserAppsChart[] {
  const charts = Object.entries(config.apps).map(([namespace, apps]) => ({
    namespace,
    apps,
    chart: new UserAppsChart(app, `user-apps-${namespace}`, namespace, apps, config),
  }));
  const byNamespace = new Map(charts.map((c) => [c.namespace, c.chart]));
  for (const { namespace, apps, chart } of charts) {
    for (const [name, settings] of Object.entries(apps)) {
      for (const call of settings.calls ?? []) {
        const [target, targetNamespace = namespace] = call.split('.');
        chart.apps.get(name)!.calls(byNamespace.get(targetNamespace)!.apps.get(target)!);
      }
    }
  }
  for (const { apps, chart } of charts) chart.addTraffic(apps, config, inputs);
  return charts.map((c) => c.chart);
}

function protocolOf(name: string): Protocol {
  return Protocol.ALL.find((p) => p.name === name)!;
}

/** The keys of `o` whose value is not undefined (so that they override defaults). */
function definedOf<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
