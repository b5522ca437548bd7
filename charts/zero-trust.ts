import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import {
  ChartWorkload,
  IMeshApp,
  MeshApp,
  MtlsMode,
  serviceHost,
  TelemetryCollector,
  WorkloadIdentity,
  ZeroTrustPolicy,
  invalid,
} from '../constructs';
import { Sidecar } from '../imports/networking.istio.io';
import { Layer, LayerChart } from './layer';

/** Properties of a {@link ZeroTrustChart}. */
export interface ZeroTrustChartProps {
  /**
   * The apps to secure; their declared dependencies are the allowed calls.
   * @default - every MeshApp of the construct tree, found at synthesis: apps created after the chart are governed too
   */
  readonly apps?: readonly IMeshApp[];
  /** Production enforces STRICT mTLS and default deny. */
  readonly production: boolean;
  /** The mesh-wide mTLS mode (`mesh:istio.mtls`; the PeerAuthentication itself is rendered by the mesh-config chart). */
  readonly mtls: MtlsMode;
  /** Deny what no rule allows. */
  readonly defaultDeny: boolean;
  /** A Sidecar per app scoped to its dependencies. */
  readonly sidecarScoping: boolean;
  /** A NetworkPolicy per app, and a default-deny ingress NetworkPolicy per namespace of the apps. */
  readonly networkPolicies: boolean;
  /** The ingress gateway's identity. */
  readonly ingressGateway: WorkloadIdentity;
  /**
   * More apps the ingress gateway may call, beyond those routed from a gateway (VirtualServices and
   * Flagger Canaries bound to a gateway are found in the construct tree): `name` (in any namespace)
   * or `namespace/name`.
   */
  readonly exposedApps: readonly string[];
  /** Prometheus's identity. */
  readonly prometheus: WorkloadIdentity;
  /**
   * The tracing collector the proxies report spans to (the Istio installation's tracing provider).
   * @default - none
   */
  readonly tracingCollector?: TelemetryCollector;
}

/**
 * The zero-trust policy of an environment's apps (layer `apps`): one {@link ZeroTrustPolicy}
 * governing every app, so every declared call is an allowed call and nothing else is.
 */
export class ZeroTrustChart extends LayerChart {
  /** The policy (add explicit rules to it). */
  readonly policy: ZeroTrustPolicy;

  constructor(scope: Construct, id: string, props: ZeroTrustChartProps) {
    super(scope, id, { layer: Layer.APPS });
    if (props.production && props.mtls !== MtlsMode.STRICT) {
      invalid('ZeroTrustChart', this, `production requires STRICT mTLS, but mesh:istio.mtls is ${props.mtls}; set mesh:istio.mtls: STRICT`);
    }
    if (props.production && !props.defaultDeny) {
      invalid(
        'ZeroTrustChart',
        this,
        `production requires default deny, but mesh:security.defaultDeny is false; set it to true and declare every call with app.calls(...)`,
      );
    }
    this.policy = new ZeroTrustPolicy(this, 'policy', {
      apps: props.apps && [...props.apps],
      defaultDeny: props.defaultDeny,
      mtls: props.mtls,
      sidecarScoping: props.sidecarScoping,
      networkPolicies: props.networkPolicies,
      ingressGateway: props.ingressGateway,
      prometheus: props.prometheus,
      tracingCollector: props.tracingCollector,
    });
    if (props.apps) this.exposeApps(props.apps, props.exposedApps);
    else
      this.policy.resolveAtSynthesis(() => {
        const apps = this.node.root.node.findAll().filter((c): c is MeshApp => c instanceof MeshApp);
        apps.forEach((app) => this.policy.addApp(app));
        this.exposeApps(apps, props.exposedApps);
      });
  }

  private exposeApps(apps: readonly IMeshApp[], exposedApps: readonly string[]): void {
    // An entry names an app (`httpbin`: in every namespace) or one app of one namespace (`demo/httpbin`).
    const exposed = new Set<IMeshApp>();
    const byName = new Map<string, IMeshApp[]>();
    for (const app of apps)
      for (const key of [app.name, `${app.namespace}/${app.name}`]) byName.set(key, [...(byName.get(key) ?? []), app]);
    for (const name of exposedApps) {
      const named = byName.get(name);
      if (!named) {
        invalid(
          'ZeroTrustChart',
          this,
          `mesh:security.exposedApps names '${name}', which is not an app of this environment; use one of ${apps.map((a) => a.name).join(', ') || '(none)'} or remove it`,
        );
      }
      named.forEach((app) => exposed.add(app));
    }
    // The apps routed from a gateway (VirtualServices and Canaries bound to one) and the load testers of the
    // Canaries are admitted by the policy itself, at synthesis (ZeroTrustPolicy: the platform's identities).
    exposed.forEach((app) => this.policy.expose(app));
  }
}

/** The load tester paths the platform's webhooks call (`Webhook.loadTest`/`heyLoadTest`, the `confirm*` gates, `rollback`). */
export const LOAD_TESTER_WEBHOOK_PATHS: readonly string[] = ['/', '/gate/check', '/rollback/check'];

/** Properties of a {@link LoadTesterAccessChart}. */
export interface LoadTesterAccessChartProps {
  /** Flagger's controller, outside the mesh (istio-system has no sidecar injection): it calls the webhooks. */
  readonly flagger: ChartWorkload;
  /** Flagger's load tester, in an injected namespace. */
  readonly loadTester: ChartWorkload;
  /** The mesh-wide mTLS mode (`mesh:istio.mtls`): under STRICT the load tester's port accepts plain text. */
  readonly mtls: MtlsMode;
  /** Deny what no rule allows in the load tester's namespace (`mesh:security.defaultDeny`). */
  readonly defaultDeny: boolean;
  /** A NetworkPolicy that lets only Flagger's pods reach the load tester's API (`mesh:security.networkPolicies`). */
  readonly networkPolicies: boolean;
  /** Prometheus's identity: it scrapes the load tester's sidecar. */
  readonly prometheus: WorkloadIdentity;
  /**
   * A Sidecar limiting the load tester's proxy to the hosts it calls: the canary Services of the Canaries whose
   * webhooks name it (`<app>-canary`, created by Flagger) and the tracing collector.
   * @default true
   */
  readonly sidecarScoping?: boolean;
  /**
   * The tracing collector the load tester's proxy reports spans to (imported by its Sidecar).
   * @default - none
   */
  readonly tracingCollector?: TelemetryCollector;
}

/**
 * Layer PLATFORM, beside the load tester it protects: Flagger reaches its load tester under STRICT mTLS,
 * and nothing else does. Flagger runs outside the mesh, so its webhook calls (load tests, the
 * confirm-rollout/promotion gates, rollback) are plain text, which STRICT mTLS refuses: the canaries would
 * never advance. Flagger's FAQ ("If Flagger is outside of the mesh, how can it start the load test?")
 * exempts the load tester from mTLS; Istio's way to do that for one workload port is a PeerAuthentication
 * with `portLevelMtls`, PERMISSIVE here (not DISABLE) so that callers inside the mesh keep mutual TLS.
 * See {@link ZeroTrustPolicy.allowPlainText} for what stays protected: only POSTs without a peer identity
 * to the webhook paths the canaries use, only from Flagger's pods (NetworkPolicy); the manual gate is
 * opened from inside the load tester's pod (`kubectl exec ... localhost:8080/gate/open`), never over the network.
 */
export class LoadTesterAccessChart extends LayerChart {
  /** The policy governing the load tester. */
  readonly policy: ZeroTrustPolicy;
  private readonly loadTester: ChartWorkload;

  constructor(scope: Construct, id: string, props: LoadTesterAccessChartProps) {
    super(scope, id, { layer: Layer.PLATFORM, namespace: props.loadTester.namespace });
    this.loadTester = props.loadTester;
    this.policy = new ZeroTrustPolicy(this, 'policy', {
      defaultDeny: props.defaultDeny,
      mtls: props.mtls,
      networkPolicies: props.networkPolicies,
      sidecarScoping: false,
      prometheus: props.prometheus,
    });
    const called = () => webhookCallsTo(this.node.root, props.loadTester);
    if (props.sidecarScoping ?? true) {
      const lt = props.loadTester;
      new Sidecar(this, 'sidecar', {
        metadata: { name: lt.name, namespace: lt.namespace },
        spec: {
          workloadSelector: { labels: { ...lt.podLabels } },
          egress: [
            {
              hosts: Lazy.any({
                produce: () => {
                  const hosts = [...new Set(called().map((c) => `${c.namespace}/${serviceHost(`${c.target}-canary`, c.namespace)}`))];
                  const collector = props.tracingCollector?.service;
                  if (collector) hosts.push(`${collector.split('.')[1]}/${collector}`);
                  // A Sidecar's egress needs a host: with no Canary, the load tester sees its own Service only.
                  return hosts.length > 0 ? hosts : [`./${serviceHost(lt.name, lt.namespace)}`];
                },
              }),
            },
          ],
        },
      });
    }
    // The paths of the Canaries of the tree at synthesis: Canaries created before or after this chart alike.
    this.policy.resolveAtSynthesis(() =>
      this.policy.allowPlainText(props.flagger, props.loadTester, { methods: ['POST'], paths: this.webhookPaths }),
    );
  }

  /**
   * The paths Flagger may call: {@link LOAD_TESTER_WEBHOOK_PATHS} and every other path a Canary's webhook names
   * (read from the construct tree: at synthesis, every Canary of it).
   */
  get webhookPaths(): readonly string[] {
    return [...new Set([...LOAD_TESTER_WEBHOOK_PATHS, ...webhookCallsTo(this.node.root, this.loadTester).map((c) => c.path)])];
  }
}

/** A Canary webhook that calls the load tester. */
interface WebhookCall {
  /** `Canary <namespace>/<name>`. */
  readonly canary: string;
  /** The Canary's namespace. */
  readonly namespace: string;
  /** The Canary's target Deployment (Flagger serves it as `<target>-canary` during analysis). */
  readonly target: string;
  readonly webhook: string;
  readonly url: string;
  readonly path: string;
}

/** The Canary webhooks of the tree that call `loadTester` (by its Service host), with their paths. */
function webhookCallsTo(root: Construct, loadTester: ChartWorkload): WebhookCall[] {
  const calls: WebhookCall[] = [];
  for (const c of root.node.findAll()) {
    if (!(c instanceof ApiObject) || c.kind !== 'Canary' || !c.apiVersion.startsWith('flagger.app/')) continue;
    const o = c.toJson() as {
      metadata: { name: string; namespace?: string };
      spec?: { targetRef?: { name?: string }; analysis?: { webhooks?: { name?: string; url?: string }[] } };
    };
    for (const w of o.spec?.analysis?.webhooks ?? []) {
      const m = /^https?:\/\/([a-z0-9-]+)\.([a-z0-9-]+)(\.svc(\.cluster\.local)?)?(:\d+)?(\/[^?#]*)?/.exec(w.url ?? '');
      if (!m || m[1] !== loadTester.name || m[2] !== loadTester.namespace) continue;
      calls.push({
        canary: `Canary ${o.metadata.namespace ?? 'default'}/${o.metadata.name}`,
        namespace: o.metadata.namespace ?? 'default',
        target: o.spec?.targetRef?.name ?? o.metadata.name,
        webhook: w.name ?? '',
        url: w.url!,
        path: m[6] || '/',
      });
    }
  }
  return calls;
}
