import { ApiObject, Duration, JsonPatch, Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import {
  Canary,
  CanarySpecAnalysisAlerts,
  CanarySpecAnalysisAlertsSeverity,
  CanarySpecAnalysisMetrics,
  CanarySpecAnalysisWebhooks,
  CanarySpecAutoscalerRefKind,
  CanarySpecProvider,
  CanarySpecService,
  CanarySpecTargetRefKind,
  toJson_CanarySpec,
  toJson_CanarySpecServiceMatch,
  toJson_CanarySpecServiceRetries,
  toJson_CanarySpecServiceTrafficPolicy,
  CanarySpecServiceTrafficPolicy,
} from '../../imports/flagger.app';
import {
  toJson_DestinationRuleSpecTrafficPolicy,
  toJson_VirtualServiceSpecHttpMatch,
  toJson_VirtualServiceSpecHttpRetries,
} from '../../imports/networking.istio.io';
import type { AlertProvider } from './alert-provider';
import { CanaryBinding, CanaryMetric, flaggerDuration, Strategy, Webhook } from './canary-analysis';
import { invalid } from '../core/errors';
import type { KubeObject } from '../core/kube-object';
import { qualifiedServiceHost, serviceHost } from '../core/hosts';
import { GO_DURATION } from '../core/go-duration';
import { Variant } from '../core/variant';
import type { IReleasableMeshApp, ResolvedMeshPort } from '../workloads/mesh-app';
import { IMeshGateway, IRoutingController, ITrafficPolicySource, ServiceTrafficSettings } from '../traffic/traffic';

/** Namespace of the Flagger load tester (scenario S3). */
export const FLAGGER_LOAD_TESTER_NAMESPACE = 'test';
/** Release (and Service) name of the Flagger load tester. */
export const FLAGGER_LOAD_TESTER_NAME = 'flagger-loadtester';
/** Base URL of the Flagger load tester that load-test and gate webhooks call. */
export const FLAGGER_LOAD_TESTER_URL = `http://${FLAGGER_LOAD_TESTER_NAME}.${FLAGGER_LOAD_TESTER_NAMESPACE}/`;

/** The lowest severity of the events a {@link CanaryRelease} posts to an alert provider (Flagger's alert `severity`). */
export class CanaryAlertSeverity extends Variant<'info' | 'warn' | 'error'> {
  /** Every event: each analysis step, promotion, rollback. */
  static readonly INFO = new CanaryAlertSeverity('info', CanarySpecAnalysisAlertsSeverity.INFO);
  /** Warnings (a failed check, a halted analysis) and errors. */
  static readonly WARN = new CanaryAlertSeverity('warn', CanarySpecAnalysisAlertsSeverity.WARN);
  /** Errors only, such as a rollback. */
  static readonly ERROR = new CanaryAlertSeverity('error', CanarySpecAnalysisAlertsSeverity.ERROR);

  private constructor(
    /** The name Flagger reads. */
    name: CanaryAlertSeverity['name'],
    private readonly value: CanarySpecAnalysisAlertsSeverity,
  ) {
    super(name);
  }

  /** @internal the L1 value */
  _render(): CanarySpecAnalysisAlertsSeverity {
    return this.value;
  }
}

/** An alert of a {@link CanaryRelease}. */
export interface CanaryAlert {
  /** Where it goes. */
  readonly provider: AlertProvider;
  /**
   * The lowest severity posted.
   * @default CanaryAlertSeverity.INFO (every event)
   */
  readonly severity?: CanaryAlertSeverity;
  /**
   * The alert's name in the Canary.
   * @default - the provider's name
   */
  readonly name?: string;
}

/** Properties of a {@link CanaryRelease}. */
export interface CanaryReleaseProps {
  /** The app rolled out (a MeshApp). It must have one version (Flagger rolls one Deployment). */
  readonly app: IReleasableMeshApp;
  /** How traffic moves to a new version. */
  readonly strategy: Strategy;
  /**
   * The Service port (number or name) whose traffic is analysed and shifted.
   * @default - the app's first HTTP port
   */
  readonly port?: number | string;
  /**
   * Gateways whose traffic to the app follows the release (Flagger `service.gateways`).
   * @default - in-mesh traffic only
   */
  readonly gateways?: IMeshGateway[];
  /**
   * With `gateways`, whether in-mesh callers follow the release too (adds the `mesh` gateway).
   * @default true
   */
  readonly meshTraffic?: boolean;
  /**
   * Extra host names routed through the gateways (Flagger always adds the app's Service name).
   * @default - the Service name only
   */
  readonly hosts?: string[];
  /**
   * How often the analysis runs (Flagger `analysis.interval`), whole seconds, at least 10s.
   * @default Duration.minutes(1)
   */
  readonly interval?: Duration;
  /**
   * Failed checks before rollback (Flagger `analysis.threshold`).
   * @default 5
   */
  readonly threshold?: number;
  /**
   * How long a new version may take to become ready before the release is rolled back.
   * @default Duration.minutes(10)
   */
  readonly progressDeadline?: Duration;
  /**
   * Checks run at every step.
   * @default - request success rate >= 99 % and P99 request duration <= 500 ms, each over 1 minute
   */
  readonly metrics?: CanaryMetric[];
  /**
   * Webhooks (load tests, gates, notifications); more can be added with {@link CanaryRelease.addWebhook}.
   * @default - none
   */
  readonly webhooks?: Webhook[];
  /**
   * Where alerts go; more can be added with {@link CanaryRelease.addAlert}.
   * @default - none (Flagger's global Slack settings, if any)
   */
  readonly alerts?: CanaryAlert[];
  /**
   * Base URL of the Flagger load tester used by load-test and gate webhooks.
   * @default FLAGGER_LOAD_TESTER_URL
   */
  readonly loadTesterUrl?: string;
  /**
   * Istio traffic settings of the app's Service (timeout, retries, trafficPolicy, match). A
   * ResilientRoute on the app hands its settings here too; a field set twice is an error.
   * @default - none
   */
  readonly traffic?: ServiceTrafficSettings;
}

type TrafficField = keyof ServiceTrafficSettings;
const TRAFFIC_FIELDS: readonly TrafficField[] = ['timeout', 'retries', 'trafficPolicy', 'match'];

/**
 * A progressive delivery of a {@link MeshApp} by Flagger (a `flagger.app/v1beta1` `Canary`).
 *
 * Flagger owns the app's routing: it creates the `<app>`, `<app>-primary` and `<app>-canary`
 * Services, their DestinationRules, the `<app>` VirtualService and the `<app>-primary` Deployment
 * and HPA, and it scales the target. So the release takes over the app's routing
 * ({@link MeshApp.setRoutingController}): traffic settings render into the Canary's `spec.service`,
 * the app's own Service is left to Flagger, and `spec.replicas` is removed from the target
 * Deployment so that GitOps does not fight Flagger over it.
 */
export class CanaryRelease extends Construct implements IRoutingController {
  readonly controllerKind = 'CanaryRelease';
  /** The canaried app. */
  readonly app: IReleasableMeshApp;
  /** The strategy. */
  readonly strategy: Strategy;
  /** The Service port under analysis. */
  readonly port: ResolvedMeshPort;
  /** The analysis interval. */
  readonly interval: Duration;
  /** The Canary object (escape hatch). */
  readonly apiObject: ApiObject;

  private readonly binding: CanaryBinding;
  private readonly metrics = new Map<string, CanarySpecAnalysisMetrics>();
  private readonly webhooks = new Map<string, CanarySpecAnalysisWebhooks>();
  private readonly alerts = new Map<string, CanarySpecAnalysisAlerts>();
  /** Traffic settings as rendered for the Canary (JSON field names), checked. */
  private readonly traffic: Partial<Record<TrafficField, unknown>> = {};
  private readonly trafficOwners = new Map<TrafficField, IConstruct>();

  constructor(scope: Construct, id: string, props: CanaryReleaseProps) {
    super(scope, id);
    const app = props.app;
    this.app = app;
    this.strategy = props.strategy;
    if (app.versions.length !== 1) {
      invalid(
        'CanaryRelease',
        this,
        `app ${app.namespace}/${app.name} has versions ${app.versions.join(', ')}, but Flagger rolls out one Deployment; give the app a single version (the new one is a new image of it), or route versions by hand with a WeightedSplit`,
      );
    }
    this.port = this.resolvePort(props.port);
    this.interval = props.interval ?? Duration.minutes(1);
    const intervalMillis = this.interval.toMilliseconds();
    if (!(intervalMillis >= 10_000) || intervalMillis % 1000 !== 0) {
      invalid(
        'CanaryRelease',
        this,
        `interval ${flaggerDuration(this.interval)} is not a whole number of seconds of at least 10s (Flagger runs shorter intervals every 10s); use e.g. Duration.seconds(30)`,
      );
    }
    const threshold = props.threshold ?? 5;
    if (!Number.isInteger(threshold) || threshold < 1 || threshold > 100) {
      invalid(
        'CanaryRelease',
        this,
        `threshold ${threshold} is out of range; use the number of failed checks before rollback, 1 to 100 (e.g. 5)`,
      );
    }
    // Duration.toSeconds() throws on fractions; the message below names the bad value instead.
    const progressDeadline = (props.progressDeadline ?? Duration.minutes(10)).toMilliseconds() / 1000;
    if (!Number.isInteger(progressDeadline) || progressDeadline < 1) {
      invalid(
        'CanaryRelease',
        this,
        `progressDeadline ${progressDeadline}s is not a positive whole number of seconds; use e.g. Duration.minutes(10)`,
      );
    }
    const loadTesterUrl = props.loadTesterUrl ?? FLAGGER_LOAD_TESTER_URL;
    if (!/^https?:\/\/[^\s]+\/$/.test(loadTesterUrl))
      invalid(
        'CanaryRelease',
        this,
        `loadTesterUrl '${loadTesterUrl}' must be an http(s) URL ending with '/', such as '${FLAGGER_LOAD_TESTER_URL}'`,
      );
    this.binding = { scope: this, app, port: this.port, interval: this.interval, loadTesterUrl };

    const analysis = this.strategy._render(this.binding);
    const service = this.renderServiceBase(props);

    // Flagger owns the routing (and the apex Service): a route of the app created before this release hands
    // its settings over here, one created after renders into it.
    app.setRoutingController(this);
    if (props.traffic) this.applySettings(props.traffic, this);
    (props.metrics ?? [CanaryMetric.requestSuccessRate(), CanaryMetric.requestDuration()]).forEach((m) => this.addMetric(m));
    (props.webhooks ?? []).forEach((w) => this.addWebhook(w));
    (props.alerts ?? []).forEach((a) => this.addAlert(a));

    const deployment = app.deployments.get(app.versions[0])!;
    const autoscaler = app.autoscalers.get(app.versions[0]);
    // Git leaves replicas to Flagger, which creates `<app>-primary` with the target's replicas at that
    // moment (1 when Git sets none): fixed replicas above 1 would silently become 1. An HPA carries
    // them instead (Flagger copies it to the primary).
    if (!autoscaler && (deployment.replicas ?? 1) > 1) {
      invalid(
        'CanaryRelease',
        this,
        `app ${app.namespace}/${app.name} asks for ${deployment.replicas} fixed replicas, but under Flagger the Deployment leaves replicas to it and ${app.name}-primary would start with 1; give the app autoscaling (e.g. minReplicas ${deployment.replicas}, maxReplicas ${deployment.replicas}) so that Flagger's copy of the HPA keeps them, or set replicas 1`,
      );
    }
    // The typed parts go through the L1 rendering (TypeScript names to JSON names); the traffic settings were
    // rendered and checked field by field in applySettings.
    const spec = (): Record<string, unknown> => {
      const rendered = toJson_CanarySpec({
        provider: CanarySpecProvider.ISTIO,
        targetRef: { apiVersion: 'apps/v1', kind: CanarySpecTargetRefKind.DEPLOYMENT, name: deployment.name },
        autoscalerRef: autoscaler
          ? { apiVersion: 'autoscaling/v2', kind: CanarySpecAutoscalerRefKind.HORIZONTAL_POD_AUTOSCALER, name: autoscaler.name }
          : undefined,
        progressDeadlineSeconds: progressDeadline,
        service,
        analysis: {
          interval: flaggerDuration(this.interval),
          threshold,
          ...analysis,
          metrics: this.metrics.size > 0 ? [...this.metrics.values()] : undefined,
          webhooks: this.webhooks.size > 0 ? [...this.webhooks.values()] : undefined,
          alerts: this.alerts.size > 0 ? [...this.alerts.values()] : undefined,
        },
      })!;
      // In one field order, whichever construct set a field first.
      const traffic = Object.fromEntries(TRAFFIC_FIELDS.filter((f) => this.traffic[f] !== undefined).map((f) => [f, this.traffic[f]]));
      return { ...rendered, service: { ...rendered.service, ...traffic } };
    };
    this.apiObject = new ApiObject(this, 'Resource', {
      ...Canary.GVK,
      metadata: { name: app.name, namespace: app.namespace, labels: { app: app.name } },
      spec: Lazy.any({ produce: spec }),
    });

    // Flagger creates and reconciles the apex Service `<app>` (selecting the primary pods); the app's
    // own Service would fight it, so it leaves the tree. Flagger also scales the target.
    app.handOverService(this);
    if (!autoscaler) ApiObject.of(deployment).addJsonPatch(JsonPatch.remove('/spec/replicas'));
    // Flagger serves traffic from `<app>-primary` pods (it relabels the copies `app: <app>-primary`);
    // the app's PodDisruptionBudget follows them, or it would guard only the canary (scaled to zero).
    const budget = app.disruptionBudgets.get(app.versions[0]);
    if (budget) budget.addJsonPatch(JsonPatch.replace('/spec/selector/matchLabels/app', `${app.name}-primary`));
  }

  /** Names of the objects Flagger creates for this release, as `<Kind> <namespace>/<name>`. */
  get flaggerOwnedObjects(): string[] {
    return flaggerOwnedKeys(this.apiObject.toJson() as CanaryLike);
  }

  /**
   * Adds a check run at every analysis step.
   * @returns the metric
   */
  addMetric(metric: CanaryMetric): CanaryMetric {
    if (this.metrics.has(metric.name)) invalid('CanaryRelease', this, `metric '${metric.name}' is declared twice; each metric name once`);
    const rendered = metric._render(this.binding);
    if (metric.interval && metric.interval.toMilliseconds() % 1000 !== 0) {
      invalid(
        'CanaryRelease',
        this,
        `metric '${metric.name}' interval ${flaggerDuration(metric.interval)} is not whole seconds; Prometheus ranges need e.g. 30s or 1m`,
      );
    }
    this.metrics.set(metric.name, rendered);
    return metric;
  }

  /**
   * Adds a webhook.
   * @returns the webhook
   */
  addWebhook(webhook: Webhook): Webhook {
    if (this.webhooks.has(webhook.name))
      invalid('CanaryRelease', this, `webhook '${webhook.name}' is declared twice; give each webhook its own name`);
    this.webhooks.set(webhook.name, webhook._render(this.binding));
    return webhook;
  }

  /**
   * Sends the release's events to `alert.provider`.
   * @returns the alert as rendered
   */
  addAlert(alert: CanaryAlert): CanaryAlert {
    const name = alert.name ?? alert.provider.providerName;
    if (this.alerts.has(name)) invalid('CanaryRelease', this, `alert '${name}' is declared twice; give each alert its own name`);
    this.alerts.set(name, {
      name,
      severity: (alert.severity ?? CanaryAlertSeverity.INFO)._render(),
      providerRef: { name: alert.provider.providerName, namespace: alert.provider.providerNamespace },
    });
    return alert;
  }

  /**
   * Renders the traffic settings of `source` (a ResilientRoute of the app) into the Canary's `spec.service`: the
   * app's routing belongs to Flagger. Fails when a field is already set by another construct, or would be dropped.
   */
  applyTrafficSettings(source: ITrafficPolicySource): void {
    this.applySettings(source.trafficSettings(), source);
  }

  private applySettings(settings: ServiceTrafficSettings, from: IConstruct): void {
    for (const field of TRAFFIC_FIELDS) {
      if (settings[field] === undefined) continue;
      const owner = this.trafficOwners.get(field);
      if (owner) {
        invalid('CanaryRelease', this, `service ${field} is set by ${owner.node.path} and again by ${from.node.path}; set it in one place`);
      }
    }
    if (settings.timeout !== undefined && !GO_DURATION.test(settings.timeout)) {
      invalid('CanaryRelease', this, `timeout '${settings.timeout}' from ${from.node.path} is not a duration such as '1s' or '500ms'`);
    }
    // Each typed Istio setting as Istio writes it, and as Flagger's Canary schema keeps it (the generated bindings of
    // both share TypeScript names; Flagger embeds a subset of Istio's fields): what Flagger lacks would be dropped.
    const rendered: Partial<Record<TrafficField, [istio: unknown, flagger: unknown]>> = {
      timeout: settings.timeout === undefined ? undefined : [settings.timeout, settings.timeout],
      retries: settings.retries && [
        toJson_VirtualServiceSpecHttpRetries(settings.retries),
        toJson_CanarySpecServiceRetries(settings.retries),
      ],
      trafficPolicy: settings.trafficPolicy && [
        toJson_DestinationRuleSpecTrafficPolicy(settings.trafficPolicy),
        // Flagger's enums are Istio's values under other generated type names.
        toJson_CanarySpecServiceTrafficPolicy(settings.trafficPolicy as unknown as CanarySpecServiceTrafficPolicy),
      ],
      match: settings.match && [
        settings.match.map((m) => toJson_VirtualServiceSpecHttpMatch(m)),
        settings.match.map((m) => toJson_CanarySpecServiceMatch(m)),
      ],
    };
    for (const field of TRAFFIC_FIELDS) {
      const [istio, flagger] = rendered[field] ?? [];
      const dropped = droppedPaths(istio, flagger, field);
      if (dropped.length > 0) {
        invalid(
          'CanaryRelease',
          this,
          `${dropped.join(', ')} from ${from.node.path} is not a field of Flagger's Canary spec.service (it would be silently dropped); check the name and nesting`,
        );
      }
    }
    for (const field of TRAFFIC_FIELDS) {
      const value = rendered[field];
      if (value === undefined) continue;
      this.traffic[field] = value[1];
      this.trafficOwners.set(field, from);
    }
  }

  private resolvePort(port: number | string | undefined): ResolvedMeshPort {
    const app = this.app;
    const ports = app.ports.map((p) => `${p.name}:${p.port}`).join(', ');
    if (port === undefined) {
      return (
        app.ports.find((p) => p.protocol.isHttp) ??
        invalid(
          'CanaryRelease',
          this,
          `app ${app.namespace}/${app.name} has no HTTP Service port (ports: ${ports}); Flagger's Istio analysis measures HTTP, so add one or set 'port'`,
        )
      );
    }
    return (
      app.ports.find((p) => p.name === port || p.port === port) ??
      invalid(
        'CanaryRelease',
        this,
        `port '${port}' is not a Service port of ${app.namespace}/${app.name} (ports: ${ports}); use one of them`,
      )
    );
  }

  private renderServiceBase(props: CanaryReleaseProps): CanarySpecService {
    const gateways = (props.gateways ?? []).map((g) => serviceHost(g.gatewayName, g.gatewayNamespace));
    if (new Set(gateways).size !== gateways.length)
      invalid('CanaryRelease', this, `gateways list one gateway twice (${gateways.join(', ')}); list each gateway once`);
    const meshTraffic = props.meshTraffic ?? true;
    if (gateways.length > 0 && meshTraffic) gateways.push('mesh');
    const hosts = props.hosts ?? [];
    for (const host of hosts) {
      if (host === '*' && meshTraffic)
        invalid('CanaryRelease', this, "host '*' would capture every in-mesh request; name the public host (e.g. 'httpbin.example.com')");
      if (!/^(\*\.)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$|^\*$/.test(host))
        invalid('CanaryRelease', this, `host '${host}' is not a DNS name; use e.g. 'httpbin.example.com' or '*.example.com'`);
    }
    if (hosts.length > 0 && gateways.length === 0)
      invalid('CanaryRelease', this, `hosts ${hosts.join(', ')} need a gateway to arrive through; set 'gateways'`);
    return {
      name: this.app.name,
      port: this.port.port,
      portName: this.port.name,
      targetPort: this.port.targetPort,
      portDiscovery: this.app.ports.length > 1 ? true : undefined,
      gateways: gateways.length > 0 ? gateways : undefined,
      hosts: hosts.length > 0 ? hosts : undefined,
    };
  }
}

/** The fields of a rendered Canary that decide what Flagger creates. */
interface CanaryLike {
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec: {
    readonly targetRef: { readonly name: string };
    readonly autoscalerRef?: { readonly name: string };
    readonly service?: { readonly name?: string };
  };
}

function flaggerOwnedKeys(canary: CanaryLike): string[] {
  const ns = canary.metadata.namespace ?? 'default';
  const apex = canary.spec.service?.name ?? canary.spec.targetRef.name;
  const keys = [
    `Service ${ns}/${apex}`,
    `Service ${ns}/${apex}-primary`,
    `Service ${ns}/${apex}-canary`,
    `VirtualService ${ns}/${apex}`,
    `DestinationRule ${ns}/${apex}-primary`,
    `DestinationRule ${ns}/${apex}-canary`,
    `Deployment ${ns}/${canary.spec.targetRef.name}-primary`,
  ];
  if (canary.spec.autoscalerRef) keys.push(`HorizontalPodAutoscaler ${ns}/${canary.spec.autoscalerRef.name}-primary`);
  return keys;
}

/**
 * A rendered Kubernetes object, as {@link flaggerCollisions} reads it: the one plain-object type, {@link KubeObject}.
 * @deprecated use KubeObject
 */
export type RenderedObject = KubeObject;

/** The kinds of the objects {@link flaggerOwnedKeys} names, which include every kind {@link flaggerCollisions} checks. */
const FLAGGER_COLLISION_KINDS: ReadonlySet<string> = new Set([
  'Service',
  'VirtualService',
  'DestinationRule',
  'Deployment',
  'HorizontalPodAutoscaler',
]);

/**
 * Finds objects that fight Flagger: an object with the identity of one Flagger creates for a Canary
 * (`<app>`, `<app>-primary`, `<app>-canary` Services, their DestinationRules, the `<app>`
 * VirtualService, the primary Deployment and HPA), a VirtualService or DestinationRule of another
 * name for the canaried host, or a target Deployment that sets `spec.replicas`.
 * One pass over the Canaries, one over every object: linear in the number of objects.
 * @returns one message per collision
 */
export function flaggerCollisions(objects: readonly RenderedObject[]): string[] {
  const owned = new Map<string, string>();
  const hosts = new Map<string, string>();
  const targets = new Map<string, string>();
  for (const o of objects) {
    if (o.kind !== 'Canary' || !o.apiVersion.startsWith('flagger.app/')) continue;
    const canary = o as unknown as CanaryLike;
    const ns = canary.metadata.namespace ?? 'default';
    const who = `Canary ${ns}/${canary.metadata.name}`;
    flaggerOwnedKeys(canary).forEach((k) => owned.set(k, who));
    hosts.set(serviceHost(canary.spec.service?.name ?? canary.spec.targetRef.name, ns), who);
    targets.set(`${ns}/${canary.spec.targetRef.name}`, who);
  }
  const problems: string[] = [];
  if (owned.size === 0) return problems;
  for (const o of objects) {
    // Only these kinds can collide (what Flagger owns, and the routing and replicas it takes over).
    if (!FLAGGER_COLLISION_KINDS.has(o.kind)) continue;
    const ns = o.metadata.namespace ?? 'default';
    const key = `${o.kind} ${ns}/${o.metadata.name}`;
    const owner = owned.get(key);
    if (owner) problems.push(`${key} is created by Flagger for ${owner}; generating it too makes two writers fight`);
    const spec = (o.spec ?? {}) as { host?: string; hosts?: string[]; replicas?: number };
    if (!owner && o.kind === 'DestinationRule' && spec.host && hosts.has(qualifiedServiceHost(spec.host, ns))) {
      problems.push(
        `${key} configures host ${spec.host}, whose routing ${hosts.get(qualifiedServiceHost(spec.host, ns))} owns; put its traffic policy into the Canary's spec.service`,
      );
    }
    if (!owner && o.kind === 'VirtualService') {
      for (const h of spec.hosts ?? []) {
        if (hosts.has(qualifiedServiceHost(h, ns)))
          problems.push(
            `${key} routes host ${h}, whose routing ${hosts.get(qualifiedServiceHost(h, ns))} owns; one VirtualService per host`,
          );
      }
    }
    if (o.kind === 'Deployment' && targets.has(`${ns}/${o.metadata.name}`) && spec.replicas !== undefined) {
      problems.push(
        `${key} sets spec.replicas ${spec.replicas}, but ${targets.get(`${ns}/${o.metadata.name}`)} scales it; leave replicas out`,
      );
    }
  }
  return problems;
}

/** Paths present in `input` and missing from `output` (fields a typed rendering dropped). */
function droppedPaths(input: unknown, output: unknown, path: string): string[] {
  if (input === null || typeof input !== 'object') return [];
  if (output === null || typeof output !== 'object') return [path];
  if (Array.isArray(input)) return input.flatMap((v, i) => droppedPaths(v, (output as unknown[])[i], `${path}[${i}]`));
  return Object.entries(input as Record<string, unknown>).flatMap(([k, v]) => {
    if (v === undefined) return [];
    const out = (output as Record<string, unknown>)[k];
    return out === undefined ? [`${path}.${k}`] : droppedPaths(v, out, `${path}.${k}`);
  });
}
