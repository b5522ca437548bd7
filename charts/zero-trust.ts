import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { IMeshApp, MtlsMode, Peer, TelemetryCollector, WorkloadIdentity, ZeroTrustPolicy, invalid, qualifiedServiceHost } from '../constructs';
import { Layer, LayerChart } from './layer';

/** Properties of a {@link ZeroTrustChart}. */
export interface ZeroTrustChartProps {
  /** The apps to secure (typically every app of the environment); their declared dependencies are the allowed calls. */
  readonly apps: readonly IMeshApp[];
  /** Production enforces STRICT mTLS and default deny. */
  readonly production: boolean;
  /** The mesh-wide mTLS mode (`mesh:istio.mtls`; the PeerAuthentication itself is rendered by the mesh-config chart). */
  readonly mtls: 'STRICT' | 'PERMISSIVE';
  /** Deny what no rule allows. */
  readonly defaultDeny: boolean;
  /** A Sidecar per app scoped to its dependencies. */
  readonly sidecarScoping: boolean;
  /** A NetworkPolicy per app. */
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
    if (props.production && props.mtls !== 'STRICT') {
      invalid('ZeroTrustChart', this, `production requires STRICT mTLS, but mesh:istio.mtls is ${props.mtls}; set mesh:istio.mtls: STRICT`);
    }
    if (props.production && !props.defaultDeny) {
      invalid('ZeroTrustChart', this, `production requires default deny, but mesh:security.defaultDeny is false; set it to true and declare every call with app.calls(...)`);
    }
    this.policy = new ZeroTrustPolicy(this, 'policy', {
      apps: [...props.apps],
      defaultDeny: props.defaultDeny,
      mtls: MtlsMode[props.mtls],
      sidecarScoping: props.sidecarScoping,
      networkPolicies: props.networkPolicies,
      ingressGateway: props.ingressGateway,
      prometheus: props.prometheus,
      tracingCollector: props.tracingCollector,
    });
    const exposed = new Set<IMeshApp>();
    const byHost = new Map(props.apps.map((a) => [a.host, a]));
    const loadTesters = new Map<IMeshApp, Set<string>>();
    for (const route of routesOf(this.node.root)) {
      for (const host of route.hosts) {
        const app = byHost.get(qualifiedServiceHost(host, route.namespace));
        if (!app) continue;
        if (route.viaGateway) exposed.add(app);
        for (const ns of route.loadTesterNamespaces) loadTesters.set(app, (loadTesters.get(app) ?? new Set()).add(ns));
      }
    }
    // An entry names an app (`httpbin`: in every namespace) or one app of one namespace (`demo/httpbin`).
    const byName = new Map<string, IMeshApp[]>();
    for (const app of props.apps) for (const key of [app.name, `${app.namespace}/${app.name}`]) byName.set(key, [...(byName.get(key) ?? []), app]);
    for (const name of props.exposedApps) {
      const apps = byName.get(name);
      if (!apps) {
        invalid('ZeroTrustChart', this, `mesh:security.exposedApps names '${name}', which is not an app of this environment; use one of ${props.apps.map((a) => a.name).join(', ') || '(none)'} or remove it`);
      }
      apps.forEach((app) => exposed.add(app));
    }
    exposed.forEach((app) => this.policy.expose(app));
    // Flagger's load tester drives traffic to the canary during analysis (its webhooks name it).
    for (const [app, namespaces] of loadTesters) this.policy.allow([...namespaces].map((ns) => Peer.namespace(ns)), app);
  }
}

interface RouteInfo {
  readonly namespace: string;
  /** Destination hosts of the route. */
  readonly hosts: string[];
  /** Bound to a gateway (not only `mesh`). */
  readonly viaGateway: boolean;
  /** Namespaces of the load testers a Canary's webhooks call. */
  readonly loadTesterNamespaces: string[];
}

/** The VirtualServices and Flagger Canaries of the construct tree, as far as access is concerned. */
function routesOf(root: Construct): RouteInfo[] {
  const routes: RouteInfo[] = [];
  for (const c of root.node.findAll()) {
    if (!(c instanceof ApiObject) || (c.kind !== 'VirtualService' && c.kind !== 'Canary')) continue;
    const o = c.toJson() as { metadata: { namespace?: string }; spec?: Record<string, any> };
    const namespace = o.metadata.namespace ?? 'default';
    if (c.kind === 'VirtualService' && c.apiVersion.startsWith('networking.istio.io/')) {
      const destinations = ['http', 'tcp', 'tls'].flatMap((k) => (o.spec?.[k] ?? []) as any[]).flatMap((r) => (r.route ?? []) as any[]);
      routes.push({
        namespace,
        hosts: destinations.map((d) => String(d.destination?.host ?? '')),
        viaGateway: ((o.spec?.gateways ?? []) as string[]).some((g) => g !== 'mesh'),
        loadTesterNamespaces: [],
      });
    } else if (c.kind === 'Canary' && c.apiVersion.startsWith('flagger.app/')) {
      const urls = ((o.spec?.analysis?.webhooks ?? []) as { url?: string }[]).map((w) => w.url ?? '');
      const testers = urls.map((u) => /^https?:\/\/[a-z0-9-]+\.([a-z0-9-]+)(\.svc(\.cluster\.local)?)?(:\d+)?(\/|$)/.exec(u)?.[1]).filter((ns): ns is string => ns !== undefined);
      routes.push({
        namespace,
        hosts: [String(o.spec?.targetRef?.name ?? '')],
        viaGateway: ((o.spec?.service?.gateways ?? []) as string[]).some((g) => g !== 'mesh'),
        loadTesterNamespaces: [...new Set(testers)].filter((ns) => ns !== namespace),
      });
    }
  }
  return routes;
}
