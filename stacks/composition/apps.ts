import { ApiObject, App, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { Layer, LayerChart } from '../../charts';
import {
  AlertProvider,
  CanaryMetric,
  CanaryRelease,
  FaultInjection,
  goDuration,
  IMeshGateway,
  IMetricTemplate,
  MeshApp,
  MeshNamespace,
  MeshValidationError,
  Protocol,
  RequestMatch,
  ResilientRoute,
  RetryOn,
  Strategy,
  StringMatch,
  Webhook,
  warn,
  WeightedSplit,
} from '../../constructs';
import { DestinationRule, DestinationRuleSpecTrafficPolicyTlsMode } from '../../imports/networking.istio.io';
import { EnvironmentConfig, resilienceDefaults } from '../environments';
import { AppSettings, appsSchema, ProbeSettings, releaseDefaults, ReleaseDefaults } from '../environments/apps';
import { demoApps } from './demos';

/** What the apps of `mesh:apps` bind to. */
export interface UserAppsInputs {
  /** The public gateway exposed apps are routed through. */
  readonly gateway: IMeshGateway;
  /** The platform's P99 latency MetricTemplate, the latency check of every release. */
  readonly latency: IMetricTemplate;
  /**
   * Where every release's alerts go (mesh:canary.alerts).
   * @default - no alerts
   */
  readonly alertProvider?: AlertProvider;
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
      const meshApp = new MeshApp(this, name, {
        image: app.image,
        ports: app.ports.map((p) => ({ port: p.port, targetPort: p.targetPort, protocol: protocolOf(p.protocol), name: p.name })),
        replicas: app.replicas ?? replicas,
        resources: app.resources ?? resources,
        podDisruptionBudget,
        autoscaling: app.autoscaling,
        env: app.env,
        command: app.command,
        args: app.args,
        readiness: app.probes?.readiness && probeOf(app, app.probes.readiness, false),
        liveness: app.probes?.liveness && probeOf(app, app.probes.liveness, true),
        writablePaths: app.writablePaths,
        secretMounts: app.secretMounts,
        versions: app.versions?.map((v) => ({ name: v.name, image: v.image, replicas: v.replicas, env: v.env })),
        egress: app.egress,
      });
      followVersionPorts(meshApp, app);
      built.set(name, meshApp);
    }
    this.apps = built;
  }

  /**
   * The releases, weighted splits and routes of the namespace's apps; after every app of every namespace
   * exists. A canaried app's route renders into its release (the Canary's `spec.service`).
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
            weights: settings.versions.map((v) => ({ version: v.name, weight: v.weight, port: v.port })),
            headerRoutes: settings.versions.flatMap((v) =>
              Object.entries(v.headers ?? {}).map(([header, value]) => ({ header, value, version: v.name })),
            ),
            gateways: expose ? [inputs.gateway] : undefined,
            hosts: expose?.hosts,
            istioMutualTls: settings.istioMutualTls,
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
            retryOn: r.retries.retryOn?.map((c) => RetryOn.fromName(c)!),
          },
          connectionPool: connectionPoolOf(r?.circuitBreaker),
          outlierDetection: r?.circuitBreaker && {
            consecutive5xxErrors: r.circuitBreaker.consecutive5xxErrors ?? defaults.outlierDetection?.consecutive5xxErrors,
            interval: r.circuitBreaker.interval ? goDuration(r.circuitBreaker.interval) : defaults.outlierDetection?.interval,
            baseEjectionTime: r.circuitBreaker.baseEjectionTime
              ? goDuration(r.circuitBreaker.baseEjectionTime)
              : defaults.outlierDetection?.baseEjectionTime,
            maxEjectionPercent: r.circuitBreaker.maxEjectionPercent ?? defaults.outlierDetection?.maxEjectionPercent,
          },
          // A canaried app is exposed by its release (Flagger's VirtualService binds the gateway).
          gateways: expose && !canaried ? [inputs.gateway] : undefined,
          hosts: expose && !canaried ? expose.hosts : undefined,
          faults: r?.faults && faultsOf(r.faults),
          defaults,
        }),
      );
      if (settings.istioMutualTls) this.istioMutualTls(name, this.routes.get(name)!);
      // Only the listed paths are routed from the gateway (in-mesh callers keep every path): the gateway's
      // VirtualService has the one route of the policy, which gets the path match.
      const gatewayRoute = this.routes.get(name)!.gatewayVirtualService;
      if (expose?.paths && gatewayRoute) {
        gatewayRoute.addJsonPatch(
          JsonPatch.add(
            '/spec/http/0/match',
            expose.paths.map((p) => ({
              uri: (typeof p === 'string'
                ? StringMatch.prefix(p)
                : 'exact' in p
                  ? StringMatch.exact(p.exact)
                  : StringMatch.prefix(p.prefix)
              ).toJson(),
            })),
          ),
        );
      }
    }
  }

  /**
   * `ISTIO_MUTUAL` on the traffic policy the route rendered: into the Canary's `spec.service.trafficPolicy`
   * when a release owns the app's routing, else into the route's DestinationRule (one of its own when the
   * route has no traffic policy).
   */
  private istioMutualTls(name: string, route: ResilientRoute): void {
    const tls = { mode: 'ISTIO_MUTUAL' };
    const release = this.releases.get(name);
    if (release) {
      release.apiObject.addJsonPatch(
        route.settings.trafficPolicy
          ? JsonPatch.add('/spec/service/trafficPolicy/tls', tls)
          : JsonPatch.add('/spec/service/trafficPolicy', { tls }),
      );
    } else if (route.destinationRule) {
      route.destinationRule.addJsonPatch(JsonPatch.add('/spec/trafficPolicy/tls', tls));
    } else {
      const app = route.app;
      new DestinationRule(this, `${name}-tls`, {
        metadata: { name: app.name, namespace: app.namespace, labels: { app: app.name } },
        spec: { host: app.host, trafficPolicy: { tls: { mode: DestinationRuleSpecTrafficPolicyTlsMode.ISTIO_UNDERSCORE_MUTUAL } } },
      });
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
    const webhookTimeout = release.webhookTimeout ? goDuration(release.webhookTimeout) : undefined;
    const expose = settings.expose;
    return new CanaryRelease(this, `${app.name}-release`, {
      app,
      strategy,
      gateways: expose ? [inputs.gateway] : undefined,
      hosts: expose?.hosts,
      interval,
      threshold: analysis.threshold,
      progressDeadline: release.progressDeadline ? goDuration(release.progressDeadline) : undefined,
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
                timeout: webhookTimeout,
              }),
            ]
          : []),
        ...(analysis.manualPromotion ? [Webhook.confirmPromotion({ timeout: webhookTimeout })] : []),
      ],
      alerts: inputs.alertProvider ? [{ provider: inputs.alertProvider }] : undefined,
    });
  }
}

/** The apps of one namespace and the chart they are built in. */
interface AppsOfNamespace {
  readonly chartId: string;
  readonly namespace: string;
  readonly apps: Record<string, AppSettings>;
  readonly warnings?: Record<string, string>;
}

/**
 * The demo apps the environment opts into (`mesh:demo`, `mesh:canary`), declared as `mesh:apps` entries
 * (`stacks/composition/demos`) and validated by the same schema, so they are built exactly as a user's apps are.
 */
export function demoAppsOf(config: EnvironmentConfig, gateway: IMeshGateway): AppsOfNamespace[] {
  const demos = demoApps({
    demo: config.demo,
    httpbinCanary: config.canary.httpbinCanary,
    weightedSplit: config.canary.weightedSplit,
    bookinfo: { ...config.canary.bookinfo, replicas: config.workloads.replicas },
    allowFaults: config.resilience.allowFaults,
    gateway,
  });
  return demos.map((d) => {
    const parsed = appsSchema.safeParse({ [d.namespace]: d.apps });
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${['mesh:apps', ...i.path].join('.')}: ${i.message}`);
      throw new MeshValidationError(`${d.chartId}: the demo apps are not valid mesh:apps entries: ${issues.join('; ')}`);
    }
    return { chartId: d.chartId, namespace: d.namespace, apps: parsed.data[d.namespace], warnings: d.warnings };
  });
}

/**
 * The apps of `mesh:apps` and the demo apps the environment opts into: one chart per namespace (layer
 * apps; `user-apps-<namespace>` for `mesh:apps`, `demo-apps`, `weighted-canary`, `bookinfo` for the demos), then every
 * declared call (`app.calls()`, so the ZeroTrustChart governs them), then releases, splits and routes.
 * Chart ids are a public contract. Nothing is created when `mesh:apps` is empty and no demo is deployed.
 */
export function addUserApps(app: App, config: EnvironmentConfig, inputs: UserAppsInputs): UserAppsChart[] {
  const declared: AppsOfNamespace[] = [
    ...demoAppsOf(config, inputs.gateway),
    ...Object.entries(config.apps).map(([namespace, apps]) => ({ chartId: `user-apps-${namespace}`, namespace, apps })),
  ];
  const charts = declared.map((d) => ({ ...d, chart: new UserAppsChart(app, d.chartId, d.namespace, d.apps, config) }));
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
  for (const { warnings, chart } of charts) {
    for (const [name, message] of Object.entries(warnings ?? {})) warn(chart.routes.get(name) ?? chart.apps.get(name)!, message);
  }
  return charts.map((c) => c.chart);
}

/** The container port a probe without a port checks: the first HTTP port's for an HTTP GET, else the first port's. */
function defaultProbePort(app: AppSettings, http: boolean): number {
  const port = (http && app.ports.find((p) => protocolOf(p.protocol).isHttp)) || app.ports[0];
  return port.targetPort ?? port.port;
}

/** A probe of `mesh:apps` as cdk8s-plus builds it; liveness waits 10s by default, both tolerate 3 failures. */
function probeOf(app: AppSettings, probe: ProbeSettings, liveness: boolean): kplus.Probe {
  const options = {
    initialDelaySeconds: probe.initialDelay ? goDuration(probe.initialDelay) : liveness ? Duration.seconds(10) : undefined,
    failureThreshold: probe.failureThreshold ?? (liveness ? 3 : undefined),
  };
  if (probe.httpGet)
    return kplus.Probe.fromHttpGet(probe.httpGet.path, { port: probe.httpGet.port ?? defaultProbePort(app, true), ...options });
  if (probe.exec) return kplus.Probe.fromCommand(probe.exec, options);
  return kplus.Probe.fromTcpSocket({ port: probe.tcpSocket!.port ?? defaultProbePort(app, false), ...options });
}

/**
 * A version served on a port of its own (`versions[].port`) is probed on that port's container port,
 * wherever the probe did not name a port (probes are the app's; the version's Deployment is patched).
 */
function followVersionPorts(app: MeshApp, settings: AppSettings): void {
  for (const version of settings.versions ?? []) {
    if (version.port === undefined) continue;
    const served = app.port(version.port).targetPort;
    const patches: JsonPatch[] = [];
    for (const [field, probe] of [
      ['readinessProbe', settings.probes?.readiness],
      ['livenessProbe', settings.probes?.liveness],
    ] as const) {
      // Without a probe of its own the app gets MeshApp's default: an HTTP GET on the first HTTP port, else TCP.
      const kind = probe
        ? probe.httpGet
          ? 'httpGet'
          : probe.tcpSocket
            ? 'tcpSocket'
            : undefined
        : app.ports.some((p) => p.protocol.isHttp)
          ? 'httpGet'
          : 'tcpSocket';
      const named = probe?.httpGet?.port ?? probe?.tcpSocket?.port;
      if (!kind || named !== undefined || served === defaultProbePort(settings, kind === 'httpGet')) continue;
      // An IntOrString: the Deployment's L1 rendering runs after the patches.
      patches.push(JsonPatch.replace(`/spec/template/spec/containers/0/${field}/${kind}/port`, k8s.IntOrString.fromNumber(served)));
    }
    if (patches.length > 0) ApiObject.of(app.deployments.get(version.name)!).addJsonPatch(...patches);
  }
}

/** The connection limits of a circuit breaker. */
function connectionPoolOf(cb: NonNullable<AppSettings['resilience']>['circuitBreaker']) {
  if (!cb || (cb.maxConnections ?? cb.maxPendingRequests ?? cb.maxRequestsPerConnection) === undefined) return undefined;
  return {
    tcp: cb.maxConnections === undefined ? undefined : { maxConnections: cb.maxConnections },
    http:
      cb.maxPendingRequests === undefined && cb.maxRequestsPerConnection === undefined
        ? undefined
        : { http1MaxPendingRequests: cb.maxPendingRequests, maxRequestsPerConnection: cb.maxRequestsPerConnection },
  };
}

/** The faults of `resilience.faults`. */
function faultsOf(f: NonNullable<NonNullable<AppSettings['resilience']>['faults']>): FaultInjection {
  return {
    abort: f.abort,
    delay: f.delay && { fixedDelay: goDuration(f.delay.fixedDelay), percentage: f.delay.percentage },
    header: f.header,
  };
}

function protocolOf(name: string): Protocol {
  return Protocol.ALL.find((p) => p.name === name)!;
}

/** The keys of `o` whose value is not undefined (so that they override defaults). */
function definedOf<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
