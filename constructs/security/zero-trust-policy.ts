import { ApiObject, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { Sidecar, SidecarSpecOutboundTrafficPolicyMode } from '../../imports/networking.istio.io';
import {
  AuthorizationPolicy,
  AuthorizationPolicySpecAction,
  PeerAuthentication,
  PeerAuthenticationSpecPortLevelMtlsMode,
  RequestAuthentication,
} from '../../imports/security.istio.io';
import { AccessAction, AccessRule, ChartWorkload, Peer, PeerLike, RenderedRule, WorkloadIdentity, principalOf } from './access-rule';
import { DNS_LABEL, invalid } from '../core/errors';
import { qualifiedServiceHost, serviceHost } from '../core/hosts';
import { ISTIO_SYSTEM_NAMESPACE } from '../core/namespaces';
import type { TracingProvider } from '../core/tracing';
import { IMeshApp, MeshApp } from '../workloads/mesh-app';
import { ObservabilityStack } from '../observability/observability-stack';
import { FlaggerLoadTester } from '../delivery/flagger';
import { NamespaceIsolation } from './namespace-isolation';
import { MtlsMode } from './mtls-mode';
import { MeshOutboundTrafficMode } from '../platform/istiod';
import { externalEgressHosts } from './external-egress';

/** The namespace of Istio's control plane (its root namespace). */
const ISTIO_NAMESPACE = ISTIO_SYSTEM_NAMESPACE;
/** The label Kubernetes sets on every namespace with its name. */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
/** The sidecar's merged Prometheus endpoint (pilot-agent) and Envoy's own stats port. */
const SIDECAR_METRICS_PORTS = [15020, 15090];

/**
 * Where a sidecar may send traffic for hosts it does not know: the mesh-wide modes, set per Sidecar.
 * @deprecated use MeshOutboundTrafficMode (the same variants: `REGISTRY_ONLY`, `ALLOW_ANY`)
 */
export const SidecarOutboundMode = MeshOutboundTrafficMode;
/** @deprecated use MeshOutboundTrafficMode */
export type SidecarOutboundMode = MeshOutboundTrafficMode;

/** A JWT issuer whose tokens an app accepts (a `RequestAuthentication` rule). */
export interface JwtIssuer {
  /** The `iss` claim of the tokens, e.g. `https://accounts.example.com`. */
  readonly issuer: string;
  /** The HTTPS URL of the issuer's public keys (JWKS). */
  readonly jwksUri: string;
  /**
   * Accepted `aud` claims.
   * @default - any audience
   */
  readonly audiences?: string[];
  /**
   * Refuse requests without a valid token (a DENY rule on requests with no request principal).
   * A RequestAuthentication alone only rejects invalid tokens, never missing ones.
   * @default true
   */
  readonly requireToken?: boolean;
}

/**
 * A collector every proxy sends telemetry to: the {@link TracingProvider} of the Istio installation, as far as
 * access is concerned: its Service, fully qualified, and the port the proxies send to (the Service must map it
 * to the same container port: NetworkPolicies see that one).
 */
export type TelemetryCollector = Pick<TracingProvider, 'service' | 'port'>;

/** Properties of a {@link ZeroTrustPolicy}. */
export interface ZeroTrustPolicyProps {
  /**
   * The apps the policy governs. Each gets an ALLOW policy for the apps that declare they call it
   * (`app.calls(...)`), a Sidecar and a NetworkPolicy.
   * @default - none; add them with `addApp`
   */
  readonly apps?: IMeshApp[];
  /**
   * Deny every request that no rule allows: an empty AuthorizationPolicy in each namespace of the
   * governed apps. When false, an app that nobody declares to call stays open to every caller (the
   * migration mode); apps with declared callers are restricted to them either way.
   * @default true
   */
  readonly defaultDeny?: boolean;
  /**
   * The mesh-wide mTLS mode (the `PeerAuthentication` of the root namespace), which generated
   * DestinationRules must agree with.
   * @default MtlsMode.STRICT
   */
  readonly mtls?: MtlsMode;
  /**
   * The ingress gateway that exposed apps accept traffic from (see `expose`).
   * @default - no gateway; `expose` fails
   */
  readonly ingressGateway?: WorkloadIdentity;
  /**
   * The Prometheus that scrapes the sidecars' merged metrics (port 15020) and Envoy stats (15090);
   * NetworkPolicies let it in on those ports. Authorization needs no rule for it: those ports are
   * served by the sidecar itself, outside the inbound authorization chain.
   * @default - the Prometheus of the `ObservabilityStack` of the construct tree, if any (found at synthesis);
   * else Prometheus in namespace `istio-system`, any pod
   */
  readonly prometheus?: WorkloadIdentity;
  /**
   * The tracing collector the proxies report spans to (the mesh's tracing extension provider). Each
   * Sidecar imports its Service and each NetworkPolicy lets the pods reach its port: a proxy whose
   * Sidecar does not import the provider's Service has no cluster to export spans to.
   * @default - none: the Sidecars import no collector
   */
  readonly tracingCollector?: TelemetryCollector;
  /**
   * A `Sidecar` per app limiting the proxy's egress configuration to exactly what it calls: its declared
   * dependencies, the tracing collector, and the external hosts it declares (`egress`, `callsExternal`: their
   * ServiceEntries and the egress gateway they route through); not the rest of istio-system (istiod is reached through the
   * proxy's bootstrap, not the registry). Less memory and config push per proxy, and a smaller blast radius.
   * @default true
   */
  readonly sidecarScoping?: boolean;
  /**
   * Set the outbound traffic policy on each generated Sidecar.
   * @default - the mesh-wide setting of the Istio installation
   */
  readonly outboundTrafficPolicy?: MeshOutboundTrafficMode;
  /**
   * A NetworkPolicy per app (defense in depth under the mesh): ingress from its declared callers,
   * istio-system, the gateway (when exposed) and Prometheus; egress to its dependencies, istio-system
   * (istiod's xDS and certificates on 15012, the egress gateway), the tracing collector and DNS. And per governed
   * namespace a `default-deny-ingress` NetworkPolicy (a {@link NamespaceIsolation}, once per namespace over the
   * tree's policies), so that a pod no app policy selects accepts nothing either.
   * @default true
   */
  readonly networkPolicies?: boolean;
}

/** What a caller outside the mesh may do on a chart's workload ({@link ZeroTrustPolicy.allowPlainText}). */
export interface PlainTextAccess {
  /**
   * The HTTP methods it may use (upper case).
   * @default - any method
   */
  readonly methods?: readonly string[];
  /**
   * The paths it may call: exact `/gate/check`, prefix `/api/*` or suffix `*.json`.
   * @default - any path
   */
  readonly paths?: readonly string[];
}

/** A chart's workload governed by the policy, and the plain-text callers it admits. */
interface GovernedWorkload {
  readonly workload: ChartWorkload;
  readonly callers: { readonly from: ChartWorkload; readonly access: PlainTextAccess }[];
}

interface Governed {
  readonly app: IMeshApp;
  /** The `app` label values of its pods: its name, and `<name>-primary` once Flagger owns it. */
  labelValues: readonly string[];
  /** What creates its objects, in the order they were asked for: run again when its label values change. */
  readonly renderers: (() => void)[];
  readonly allowRules: AccessRule[];
  readonly denyRules: AccessRule[];
  readonly extraEgressHosts: string[];
  exposed: boolean;
  hasDenyPolicy?: boolean;
  jwtIssuers?: JwtIssuer[];
  mtlsExceptions?: Map<number, MtlsMode>;
}

/**
 * Zero-trust security for a set of apps, derived from the dependencies they declare: mutual TLS,
 * a default deny per namespace, per-app ALLOW rules for the service-account identities of the apps
 * that call it (and the ingress gateway for exposed apps), explicit ALLOW/DENY refinements, JWT
 * authentication, Sidecar egress scoping and NetworkPolicies.
 *
 * Everything is generated from the dependency graph in time linear in apps plus edges. Rules are
 * resolved at synthesis, so dependencies can be declared before or after the policy is created.
 *
 * Health probes keep working: Istio rewrites HTTP/TCP/gRPC probes to the sidecar agent (port
 * 15020), which answers them outside authorization. Prometheus scrapes the agent's merged metrics
 * on 15020, also outside authorization; NetworkPolicies let it in on that port.
 */
export class ZeroTrustPolicy extends Construct {
  /** Whether unmatched requests are denied. */
  readonly defaultDeny: boolean;
  /** The mesh-wide mTLS mode the policy assumes. */
  readonly mtls: MtlsMode;
  /** The ingress gateway's identity, if any. */
  readonly ingressGateway?: WorkloadIdentity;
  /** The tracing collector's namespace and port, if any. */
  private readonly tracing?: { readonly namespace: string; readonly service: string; readonly port: number };

  private readonly props: ZeroTrustPolicyProps;
  private readonly governed = new Map<string, Governed>();
  private readonly governedWorkloads = new Map<string, GovernedWorkload>();
  private readonly namespaces = new Set<string>();
  private readonly resolvers: (() => void)[] = [];
  private resolved = false;

  constructor(scope: Construct, id: string, props: ZeroTrustPolicyProps = {}) {
    super(scope, id);
    this.props = props;
    this.defaultDeny = props.defaultDeny ?? true;
    this.mtls = props.mtls ?? MtlsMode.STRICT;
    this.ingressGateway = props.ingressGateway;
    registryOf(this).policies.push(this);
    for (const [what, identity] of [
      ['ingressGateway', props.ingressGateway],
      ['prometheus', props.prometheus],
    ] as const) {
      if (identity && (!DNS_LABEL.test(identity.namespace) || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(identity.serviceAccount))) {
        invalid(
          'ZeroTrustPolicy',
          this,
          `${what} ${identity.namespace}/${identity.serviceAccount} is not a namespace/service-account pair of DNS names; use e.g. istio-system/istio-ingressgateway`,
        );
      }
    }
    if (props.tracingCollector) {
      const { service, port } = props.tracingCollector;
      const m = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.cluster\.local)?$/.exec(service);
      if (!m)
        invalid(
          'ZeroTrustPolicy',
          this,
          `tracingCollector service '${service}' is not a Service of the cluster; use <name>.<namespace>.svc.cluster.local, e.g. jaeger.observability.svc.cluster.local`,
        );
      if (!Number.isInteger(port) || port < 1 || port > 65535)
        invalid('ZeroTrustPolicy', this, `tracingCollector port ${port} is not a port number; use 1-65535, e.g. 4317 for OTLP gRPC`);
      this.tracing = { namespace: m[2], service, port };
    }
    for (const app of props.apps ?? []) this.addApp(app);
    this.node.addValidation({ validate: () => (this.resolve(), [...this.validateCalls(), ...this.validateDestinationRules()]) });
  }

  /**
   * Prometheus's identity: the `prometheus` prop, else the Prometheus of the construct tree's
   * `ObservabilityStack`, else any pod of `istio-system`.
   */
  get prometheus(): WorkloadIdentity {
    if (this.props.prometheus) return this.props.prometheus;
    const scan = this.resolved ? treeOf(this) : undefined;
    const stack = scan ? scan.observability : this.node.root.node.findAll().find((c) => c instanceof ObservabilityStack);
    return stack?.prometheusIdentity ?? { namespace: ISTIO_NAMESPACE, serviceAccount: 'prometheus' };
  }

  /**
   * Runs `resolver` once at synthesis (when the policy is validated or first rendered), for access
   * that depends on the whole construct tree, such as the apps routed from a gateway: whatever is
   * created after this call, in whatever order, is seen. The resolver may call {@link expose} and
   * {@link allow}; it runs at once when the policy is already resolved.
   */
  resolveAtSynthesis(resolver: () => void): void {
    if (this.resolved) resolver();
    else this.resolvers.push(resolver);
  }

  /** Runs the resolvers once, before anything reads the exposure or the rules they add. */
  private resolve(): void {
    if (this.resolved) return;
    this.resolved = true;
    for (const resolver of this.resolvers) resolver();
    // Routing controllers created after their apps were added (whatever the creation order, the same objects).
    for (const g of this.governed.values()) this.relabel(g);
    this.admitPlatformIdentities();
  }

  /**
   * The platform's identities, wherever an app needs them (after the resolvers, adding only what they did
   * not): the ingress gateway for an app a gateway-bound VirtualService or Canary routes to, and the
   * load tester a Canary's webhooks call (it drives the canary's traffic during analysis; denied, no canary
   * would ever promote): a `FlaggerLoadTester` of the tree by its ServiceAccount principal and pod labels, so
   * that no other workload of its namespace may call the canaried app; another load tester URL by its namespace.
   * Prometheus is let in by every NetworkPolicy (see `prometheus`).
   */
  private admitPlatformIdentities(): void {
    const { routes, loadTesters } = treeOf(this);
    for (const g of this.governed.values()) {
      const route = routes.get(g.app.host);
      if (!route) continue;
      if (route.viaGateway && this.ingressGateway) g.exposed = true;
      const sources = g.allowRules.flatMap((r) => r.sources);
      const peers: Peer[] = [];
      for (const host of route.loadTesterHosts) {
        const namespace = host.slice(host.indexOf('.') + 1);
        // A load tester of the tree is admitted by its own identity (ServiceAccount principal, pod labels), not
        // its whole namespace; one the tree does not deploy (a webhook URL of the user's own) by its namespace,
        // the narrowest identity known.
        const lt = loadTesters.get(host);
        const peer = lt ? Peer.workload(lt) : Peer.namespace(namespace);
        const covered = sources.some((p) => (p.kind === 'namespace' && p.value === namespace) || p.value === peer.value);
        if (!covered && !(peer.kind === 'namespace' && namespace === g.app.namespace) && !peers.some((p) => p.value === peer.value))
          peers.push(peer);
      }
      if (peers.length > 0) g.allowRules.push(new AccessRule(this, AccessAction.ALLOW, peers, g.app));
    }
  }

  /** The apps the policy governs. */
  get apps(): IMeshApp[] {
    return [...this.governed.values()].map((g) => g.app);
  }

  /**
   * The objects the policy generates (AuthorizationPolicies, PeerAuthentications, Sidecars, NetworkPolicies),
   * in construct order: what it renders, for inspection and escape hatches.
   */
  get objects(): ApiObject[] {
    return this.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject);
  }

  /**
   * Governs `app`: its ALLOW policy (callers from declared dependencies), its Sidecar and its
   * NetworkPolicy, and the default deny of its namespace.
   * @returns the app
   */
  addApp(app: IMeshApp): IMeshApp {
    const key = keyOf(app);
    if (this.governed.has(key)) invalid('ZeroTrustPolicy', this, `app '${key}' is added twice; add each app once`);
    const g: Governed = {
      app,
      labelValues: appLabelValues(app),
      renderers: [],
      allowRules: [],
      denyRules: [],
      extraEgressHosts: [],
      exposed: false,
    };
    this.governed.set(key, g);
    registryOf(this).dependents = undefined;
    this.addNamespace(app.namespace);
    const scope = new Construct(this, key.replace('/', '-'));
    this.render(g, () => {
      // Flagger renames the `app` label of the primary pods it creates, and Istio selectors have no
      // "in": a canaried app gets each selecting object twice (`<app>` and `<app>-primary`).
      forEachSelector(
        g,
        (value, id) =>
          new AuthorizationPolicy(scope, `allow${id}`, {
            metadata: { name: value, namespace: app.namespace, labels: { app: app.name } },
            spec: {
              action: AuthorizationPolicySpecAction.ALLOW,
              selector: { matchLabels: { app: value } },
              rules: Lazy.any({ produce: () => this.allowRulesOf(g) }),
            },
          }),
      );
      if (this.props.sidecarScoping ?? true)
        forEachSelector(g, (value, id) => {
          new Sidecar(scope, `sidecar${id}`, {
            metadata: { name: value, namespace: app.namespace, labels: { app: app.name } },
            spec: {
              workloadSelector: { labels: { app: value } },
              egress: [{ hosts: Lazy.any({ produce: () => this.egressHostsOf(g) }) }],
              outboundTrafficPolicy: this.props.outboundTrafficPolicy
                ? {
                    mode:
                      this.props.outboundTrafficPolicy === MeshOutboundTrafficMode.REGISTRY_ONLY
                        ? SidecarSpecOutboundTrafficPolicyMode.REGISTRY_UNDERSCORE_ONLY
                        : SidecarSpecOutboundTrafficPolicyMode.ALLOW_UNDERSCORE_ANY,
                  }
                : undefined,
            },
          });
        });
      if (this.props.networkPolicies ?? true) {
        // A plain ApiObject of the NetworkPolicy's JSON (ports as numbers): the L1 class would convert the resolved object
        // once more, a third of the cost of rendering the largest object of each app, for the same text.
        new ApiObject(scope, 'network-policy', {
          ...k8s.KubeNetworkPolicy.GVK,
          metadata: { name: app.name, namespace: app.namespace, labels: { app: app.name } },
          spec: {
            podSelector: appPodSelector(app),
            policyTypes: ['Ingress', 'Egress'],
            ingress: Lazy.any({ produce: () => this.networkIngressOf(g) }),
            egress: Lazy.any({ produce: () => this.networkEgressOf(g) }),
          },
        });
      }
    });
    return app;
  }

  /**
   * Lets the ingress gateway call `app` (an ALLOW rule for the gateway's service account, and the
   * gateway's pods in the NetworkPolicy).
   */
  expose(app: IMeshApp): void {
    const g = this.governedOf(app, 'expose');
    if (!this.ingressGateway)
      invalid(
        'ZeroTrustPolicy',
        this,
        `cannot expose '${keyOf(app)}': no ingressGateway; set the ingressGateway prop to the gateway's namespace and service account`,
      );
    if (g.exposed) invalid('ZeroTrustPolicy', this, `app '${keyOf(app)}' is exposed twice; expose each app once`);
    g.exposed = true;
  }

  /**
   * Allows `from` to call `to`, refined with the returned rule's methods, paths, ports and headers.
   * For an app caller the rule replaces the blanket allow its declared dependency would give: after
   * `allow(sleep, httpbin).onPaths('/get')`, sleep may call httpbin on `/get` only.
   * @returns the rule, to refine
   */
  allow(from: PeerLike | readonly PeerLike[], to: IMeshApp): AccessRule {
    const g = this.governedOf(to, 'allow');
    const rule = new AccessRule(this, AccessAction.ALLOW, Array.isArray(from) ? from : [from as PeerLike], to);
    for (const peer of rule.sources) {
      const caller = peer.app;
      if (caller && !caller.dependencies.some((d) => keyOf(d) === keyOf(to))) {
        invalid(
          'ZeroTrustPolicy',
          this,
          `allows ${keyOf(caller)} to call ${keyOf(to)}, but ${keyOf(caller)} does not declare that dependency, so its Sidecar and NetworkPolicy would block the call; declare ${caller.name}.calls(${to.name}) first`,
        );
      }
    }
    g.allowRules.push(rule);
    return rule;
  }

  /**
   * Denies `from` calling `to` (a DENY policy, evaluated before every ALLOW), refined with the
   * returned rule's methods, paths, ports and headers.
   * @returns the rule, to refine
   */
  deny(from: PeerLike | readonly PeerLike[], to: IMeshApp): AccessRule {
    const g = this.governedOf(to, 'deny');
    const rule = new AccessRule(this, AccessAction.DENY, Array.isArray(from) ? from : [from as PeerLike], to);
    g.denyRules.push(rule);
    this.denyPolicyOf(g);
    return rule;
  }

  /**
   * Accepts JWTs of `jwt.issuer` on `app` (a RequestAuthentication) and, unless `requireToken` is
   * false, denies requests without one. Allow end users with `allow(Peer.authenticatedUser(...), app)`.
   */
  addJwtIssuer(app: IMeshApp, jwt: JwtIssuer): void {
    const g = this.governedOf(app, 'addJwtIssuer');
    if (!/^https:\/\/[^\s/]+/.test(jwt.jwksUri))
      invalid(
        'ZeroTrustPolicy',
        this,
        `jwksUri '${jwt.jwksUri}' of issuer '${jwt.issuer}' is not an https URL; keys fetched over plain http can be forged, so use https://`,
      );
    if (!jwt.issuer || /\s/.test(jwt.issuer))
      invalid(
        'ZeroTrustPolicy',
        this,
        `issuer '${jwt.issuer}' is not an issuer; use the tokens' 'iss' claim, e.g. https://accounts.example.com`,
      );
    if (!g.jwtIssuers) {
      g.jwtIssuers = [];
      const issuers = g.jwtIssuers;
      this.render(g, () =>
        forEachSelector(
          g,
          (value, id) =>
            new RequestAuthentication(this.scopeOf(g), `jwt${id}`, {
              metadata: { name: `${value}-jwt`, namespace: app.namespace, labels: { app: app.name } },
              spec: {
                selector: { matchLabels: { app: value } },
                jwtRules: Lazy.any({
                  produce: () => issuers.map((i) => ({ issuer: i.issuer, jwksUri: i.jwksUri, audiences: i.audiences })),
                }),
              },
            }),
        ),
      );
    }
    if (g.jwtIssuers.some((i) => i.issuer === jwt.issuer))
      invalid('ZeroTrustPolicy', this, `issuer '${jwt.issuer}' is added twice to '${keyOf(app)}'; add each issuer once`);
    g.jwtIssuers.push(jwt);
    if ((jwt.requireToken ?? true) && g.jwtIssuers.filter((i) => i.requireToken ?? true).length === 1) {
      g.denyRules.push(new RequireTokenRule(this, app));
      this.denyPolicyOf(g);
    }
  }

  /**
   * Sets another mTLS mode on one Service port of `app` (a workload PeerAuthentication with
   * `portLevelMtls`), e.g. PERMISSIVE for a port called by clients outside the mesh.
   */
  addMtlsException(app: IMeshApp, servicePort: number, mode: MtlsMode): void {
    const g = this.governedOf(app, 'addMtlsException');
    const port = app.ports.find((p) => p.port === servicePort);
    if (!port)
      invalid(
        'ZeroTrustPolicy',
        this,
        `mTLS exception: port ${servicePort} is not a port of ${keyOf(app)}; its ports: ${app.ports.map((p) => p.port).join(', ')}`,
      );
    if (mode === this.mtls)
      invalid(
        'ZeroTrustPolicy',
        this,
        `mTLS exception on ${keyOf(app)} port ${servicePort} is ${mode}, the mesh-wide mode already; remove it`,
      );
    if (!g.mtlsExceptions) {
      g.mtlsExceptions = new Map();
      const exceptions = g.mtlsExceptions;
      this.render(g, () =>
        forEachSelector(
          g,
          (value, id) =>
            new PeerAuthentication(this.scopeOf(g), `peer-authentication${id}`, {
              metadata: { name: value, namespace: app.namespace, labels: { app: app.name } },
              spec: {
                selector: { matchLabels: { app: value } },
                portLevelMtls: Lazy.any({
                  produce: () => Object.fromEntries([...exceptions].map(([target, m]) => [String(target), { mode: m._renderPortLevel() }])),
                }),
              },
            }),
        ),
      );
    }
    if (g.mtlsExceptions.has(port.targetPort))
      invalid('ZeroTrustPolicy', this, `mTLS exception on ${keyOf(app)} port ${servicePort} is set twice; set it once`);
    g.mtlsExceptions.set(port.targetPort, mode);
  }

  /** The mTLS mode the workloads of `app` require on one Service port. */
  mtlsModeOf(app: IMeshApp, servicePort?: number): MtlsMode {
    const exceptions = this.governed.get(keyOf(app))?.mtlsExceptions;
    const port = servicePort === undefined ? undefined : app.ports.find((p) => p.port === servicePort);
    return (port && exceptions?.get(port.targetPort)) ?? this.mtls;
  }

  /**
   * Lets `from`, a workload without a sidecar, call `to`, a chart's workload in the mesh, on `to.port`:
   * Flagger (installed outside the mesh) calling its load tester's webhooks is the case. Without a
   * sidecar the caller speaks plain text, which STRICT mTLS refuses, and has no identity that
   * authorization could check. So, as Istio documents for clients outside the mesh, `to.port` alone
   * accepts plain text (a PeerAuthentication PERMISSIVE on that port, only when the mesh is STRICT: in-mesh
   * callers keep mutual TLS through auto mTLS), and zero trust keeps what is left:
   *
   * - `to`'s namespace gets the default deny, and its ALLOW policy admits only requests *without* a
   *   peer identity (`notPrincipals: ['*']`: no workload of the mesh) on that port, with these methods and
   *   paths; every other request to `to` is denied;
   * - which pods may send those requests is the NetworkPolicy's: ingress to that port from `from`'s pods
   *   only (plus Prometheus on the sidecar's metrics ports). Authorization cannot tell `from` from another
   *   pod outside the mesh; a cluster that does not enforce NetworkPolicies cannot either.
   */
  allowPlainText(from: ChartWorkload, to: ChartWorkload, access: PlainTextAccess = {}): void {
    const where = `plain text from ${from.namespace}/${from.name} to ${to.namespace}/${to.name}`;
    const fail = (message: string): never => invalid('ZeroTrustPolicy', this, `${where}: ${message}`);
    for (const w of [from, to]) {
      if (!DNS_LABEL.test(w.namespace) || !DNS_LABEL.test(w.name))
        fail(`${w.namespace}/${w.name} is not a namespace/name pair of DNS-1123 labels`);
      if (Object.keys(w.podLabels).length === 0)
        fail(`${w.namespace}/${w.name} has no pod labels; give the labels its chart sets on its pods, which the policies select`);
    }
    if (!Number.isInteger(to.port) || to.port < 1 || to.port > 65535)
      fail(`port ${to.port} is not a port number; give the container port its API listens on`);
    for (const m of access.methods ?? [])
      if (!/^[A-Z]+$/.test(m)) fail(`method '${m}' is not an upper-case HTTP method; use '${m.toUpperCase()}'`);
    for (const p of access.paths ?? []) {
      const stars = (p.match(/\*/g) ?? []).length;
      if (!((stars === 0 && p.startsWith('/')) || (stars === 1 && ((p.startsWith('/') && p.endsWith('*')) || p.startsWith('*')))))
        fail(`path '${p}' is not an Istio path match; use an exact '/gate/check', a prefix '/api/*' or a suffix '*.json'`);
    }
    if (access.methods?.length === 0 || access.paths?.length === 0)
      fail('methods or paths is empty, which would allow nothing; list values or leave it out');
    const key = `${to.namespace}/${to.name}`;
    let g = this.governedWorkloads.get(key);
    if (!g) {
      g = { workload: to, callers: [] };
      this.governedWorkloads.set(key, g);
      this.governWorkload(g);
    } else if (JSON.stringify(g.workload) !== JSON.stringify(to)) {
      fail(`${key} is already governed with other pod labels or port (${JSON.stringify(g.workload)}); describe the workload once`);
    }
    if (g.callers.some((c) => c.from.namespace === from.namespace && c.from.name === from.name))
      fail('is allowed twice; allow each caller once, with every method and path');
    g.callers.push({ from, access: { methods: access.methods && [...access.methods], paths: access.paths && [...access.paths] } });
  }

  /** The chart workloads the policy governs or admits as callers (what the access explainer adds to the apps). */
  get chartWorkloads(): ChartWorkload[] {
    const all = [...this.governedWorkloads.values()].flatMap((g) => [g.workload, ...g.callers.map((c) => c.from)]);
    return [...new Map(all.map((w) => [`${w.namespace}/${w.name}`, w])).values()];
  }

  private governWorkload(g: GovernedWorkload): void {
    const w = g.workload;
    this.addNamespace(w.namespace);
    const scope = new Construct(this, `${w.namespace}-${w.name}`);
    const metadata = { name: w.name, namespace: w.namespace, labels: { app: w.name } };
    new AuthorizationPolicy(scope, 'allow', {
      metadata,
      spec: {
        action: AuthorizationPolicySpecAction.ALLOW,
        selector: { matchLabels: { ...w.podLabels } },
        rules: Lazy.any({
          produce: () =>
            g.callers.map(({ access }) => ({
              // Only requests without a peer identity: the callers outside the mesh, never a workload of it.
              from: [{ source: { notPrincipals: ['*'] } }],
              to: [
                {
                  operation: {
                    ports: [String(w.port)],
                    ...(access.methods ? { methods: access.methods } : {}),
                    ...(access.paths ? { paths: access.paths } : {}),
                  },
                },
              ],
            })),
        }),
      },
    });
    // Plain text on the one port, and only where the mesh refuses it (PERMISSIVE rather than DISABLE: callers
    // inside the mesh keep mutual TLS and their identity). Istio's port-level mTLS needs a workload selector.
    if (this.mtls === MtlsMode.STRICT) {
      new PeerAuthentication(scope, 'peer-authentication', {
        metadata,
        spec: {
          selector: { matchLabels: { ...w.podLabels } },
          portLevelMtls: { [String(w.port)]: { mode: PeerAuthenticationSpecPortLevelMtlsMode.PERMISSIVE } },
        },
      });
    }
    if (this.props.networkPolicies ?? true) {
      new ApiObject(scope, 'network-policy', {
        ...k8s.KubeNetworkPolicy.GVK,
        metadata,
        spec: {
          podSelector: { matchLabels: { ...w.podLabels } },
          // Ingress only: the workload's own calls (a load tester's, to every canary) stay unrestricted here.
          policyTypes: ['Ingress'],
          ingress: Lazy.any({
            produce: () => [
              {
                from: g.callers.map((c) => podPeer(c.from.namespace, c.from.podLabels)),
                ports: [{ protocol: 'TCP', port: w.port }],
              },
              {
                from: [podPeer(this.prometheus.namespace, this.prometheus.podLabels)],
                ports: SIDECAR_METRICS_PORTS.map((port) => ({ protocol: 'TCP', port: port })),
              },
            ],
          }),
        },
      });
    }
  }

  /**
   * Adds Sidecar egress hosts to `app` beyond its dependencies, in Sidecar notation
   * `<namespace>/<host>` (e.g. `istio-egress/api.example.com` for a ServiceEntry exported there).
   */
  allowEgress(app: IMeshApp, ...hosts: string[]): void {
    const g = this.governedOf(app, 'allowEgress');
    for (const host of hosts) {
      if (!/^(\*|\.|~|[a-z0-9]([-a-z0-9]*[a-z0-9])?)\/(\*|\*?[-a-z0-9.]+)$/.test(host)) {
        invalid(
          'ZeroTrustPolicy',
          this,
          `egress host '${host}' of ${keyOf(app)} is not <namespace>/<dnsName>; use e.g. 'istio-egress/api.example.com' or './*'`,
        );
      }
      if (g.extraEgressHosts.includes(host))
        invalid('ZeroTrustPolicy', this, `egress host '${host}' of ${keyOf(app)} is added twice; add it once`);
      g.extraEgressHosts.push(host);
    }
  }

  private addNamespace(namespace: string): void {
    if (this.namespaces.has(namespace)) return;
    this.namespaces.add(namespace);
    registryOf(this).namespaces = undefined;
    if (this.defaultDeny) {
      // An ALLOW policy without rules that selects every workload of the namespace: nothing matches
      // it, so only what another ALLOW policy allows gets through.
      new AuthorizationPolicy(this, `default-deny-${namespace}`, {
        metadata: { name: 'default-deny', namespace },
        spec: {},
      });
    }
    // Every pod of the namespace accepts only what a NetworkPolicy allows (the apps' and workloads' own
    // policies), not only the pods some policy happens to select: once per namespace over the tree's policies.
    const isolated = (registryOf(this).isolated ??= new Set());
    if ((this.props.networkPolicies ?? true) && !isolated.has(namespace)) {
      isolated.add(namespace);
      new NamespaceIsolation(this, `isolation-${namespace}`, { namespace });
    }
  }

  private governedOf(app: IMeshApp, what: string): Governed {
    return (
      this.governed.get(keyOf(app)) ??
      invalid(
        'ZeroTrustPolicy',
        this,
        `${what}: app '${keyOf(app)}' is not governed by this policy; add it first with addApp (or the 'apps' prop)`,
      )
    );
  }

  private scopeOf(g: Governed): Construct {
    return this.node.findChild(keyOf(g.app).replace('/', '-')) as Construct;
  }

  private denyPolicyOf(g: Governed): void {
    if (g.hasDenyPolicy) return;
    g.hasDenyPolicy = true;
    this.render(g, () =>
      forEachSelector(
        g,
        (value, id) =>
          new AuthorizationPolicy(this.scopeOf(g), `deny${id}`, {
            metadata: { name: `${value}-deny`, namespace: g.app.namespace, labels: { app: g.app.name } },
            spec: {
              action: AuthorizationPolicySpecAction.DENY,
              selector: { matchLabels: { app: value } },
              rules: Lazy.any({ produce: () => g.denyRules.map((r) => r.render()) }),
            },
          }),
      ),
    );
  }

  /** Creates objects of `g` now, and again whenever its label values change ({@link relabel}). */
  private render(g: Governed, renderer: () => void): void {
    g.renderers.push(renderer);
    renderer();
  }

  /**
   * An app that got a routing controller after it was added (a CanaryRelease created later: Flagger labels its
   * primary pods `<app>-primary`) gets its objects again, for both labels, in the order they were asked for: the
   * output is the same as when the controller came first (escape-hatch patches on the replaced objects are lost).
   */
  private relabel(g: Governed): void {
    const values = appLabelValues(g.app);
    if (values.length === g.labelValues.length) return;
    g.labelValues = values;
    const scope = this.scopeOf(g);
    for (const child of [...scope.node.children]) scope.node.tryRemoveChild(child.node.id);
    g.renderers.forEach((renderer) => renderer());
  }

  /**
   * The apps that declare they call `app`, whichever policy governs them (callers in another namespace, under
   * another policy, are never dropped): one index for every policy of the tree, built once, linear in apps
   * plus edges.
   */
  private dependents(app: IMeshApp): IMeshApp[] {
    const registry = registryOf(this);
    if (!registry.dependents) {
      const index = new Map<string, IMeshApp[]>();
      const callers = new Map<string, IMeshApp>();
      for (const policy of registry.policies) for (const { app: caller } of policy.governed.values()) callers.set(keyOf(caller), caller);
      // Apps no policy governs may call governed apps too (found at synthesis).
      if (this.resolved) for (const caller of treeOf(this).meshApps) if (!callers.has(keyOf(caller))) callers.set(keyOf(caller), caller);
      for (const caller of callers.values()) {
        for (const target of dependenciesOf(caller)) {
          const list = index.get(keyOf(target)) ?? [];
          list.push(caller);
          index.set(keyOf(target), list);
        }
      }
      registry.dependents = index;
    }
    return registry.dependents.get(keyOf(app)) ?? [];
  }

  /** A declared call into a namespace no policy of the tree governs is an error: nothing there checks its callers. */
  private validateCalls(): string[] {
    const registry = registryOf(this);
    registry.namespaces ??= new Set(registry.policies.flatMap((p) => [...p.namespaces]));
    const governed = registry.namespaces;
    const problems: string[] = [];
    for (const { app } of this.governed.values()) {
      for (const d of dependenciesOf(app)) {
        if (governed.has(d.namespace)) continue;
        problems.push(
          `ZeroTrustPolicy ${this.node.path}: ${keyOf(app)} calls ${keyOf(d)}, but no ZeroTrustPolicy governs namespace '${d.namespace}', so nothing there allows that call or denies any other; add ${keyOf(d)} to a ZeroTrustPolicy (its 'apps' prop or addApp), or remove ${app.name}.calls(${d.name})`,
        );
      }
      const external = treeOf(this).externalHosts;
      for (const host of app.externalHosts ?? []) {
        if (external.has(host)) continue;
        problems.push(
          `ZeroTrustPolicy ${this.node.path}: ${keyOf(app)} declares egress to '${host}', but no ServiceEntry of the mesh names that host (external hosts: ${[...external.keys()].join(', ') || 'none'}), so its proxy would have no route to it; add it to mesh:egress.services (an ExternalService in code), or remove it from the app's egress`,
        );
      }
    }
    return problems;
  }

  private allowRulesOf(g: Governed): RenderedRule[] {
    this.resolve();
    const refined = new Set(g.allowRules.flatMap((r) => r.sources.filter((p) => p.app).map((p) => keyOf(p.app!))));
    const callers = this.dependents(g.app).filter((c) => !refined.has(keyOf(c)));
    const rules: RenderedRule[] = [];
    if (callers.length > 0)
      rules.push({ from: [{ source: { principals: callers.map((c) => principalOf(c.namespace, c.serviceAccountName)) } }] });
    if (g.exposed && this.ingressGateway)
      rules.push({ from: [{ source: { principals: [principalOf(this.ingressGateway.namespace, this.ingressGateway.serviceAccount)] } }] });
    rules.push(...g.allowRules.map((r) => r.render()));
    // Without a default deny, an app nobody declares to call stays open (an ALLOW rule matching all).
    if (rules.length === 0 && !this.defaultDeny) rules.push({});
    return rules;
  }

  private egressHostsOf(g: Governed): string[] {
    this.resolve();
    // Exactly what the proxy calls: its dependencies, the tracing collector and the external hosts it declares
    // (their ServiceEntries, and the egress gateway they are routed through). Not istiod: the proxy reaches it
    // through its bootstrap configuration, not the service registry.
    const external = treeOf(this).externalHosts;
    const hosts = [
      ...dependenciesOf(g.app).map((d) => `${d.namespace}/${d.host}`),
      ...g.extraEgressHosts,
      ...(this.tracing ? [`${this.tracing.namespace}/${this.tracing.service}`] : []),
      ...(g.app.externalHosts ?? []).flatMap((h) => external.get(h) ?? []),
    ];
    // A Sidecar's egress needs a host: an app that calls nothing sees its own Service only.
    if (hosts.length === 0) hosts.push(`./${g.app.host}`);
    return [...new Set(hosts)];
  }

  private networkIngressOf(g: Governed): Record<string, unknown>[] {
    this.resolve();
    const appPorts = tcpPorts(g.app);
    const peers: Record<string, unknown>[] = [namespacePeer(ISTIO_NAMESPACE)];
    let fromAnywhere = false;
    for (const caller of this.dependents(g.app)) peers.push({ ...namespacePeer(caller.namespace), podSelector: appPodSelector(caller) });
    if (g.exposed && this.ingressGateway) peers.push(podPeer(this.ingressGateway.namespace, this.ingressGateway.podLabels));
    for (const rule of g.allowRules) {
      for (const p of rule.sources) {
        if (p.namespace) peers.push(podPeer(p.namespace, p.podLabels));
        else fromAnywhere = true;
      }
    }
    const unique = [...new Map(peers.map((p) => [JSON.stringify(p), p])).values()];
    const rules: Record<string, unknown>[] = [fromAnywhere ? { ports: appPorts } : { from: unique, ports: appPorts }];
    rules.push({
      from: [podPeer(this.prometheus.namespace, this.prometheus.podLabels)],
      ports: SIDECAR_METRICS_PORTS.map((port) => ({ protocol: 'TCP', port: port })),
    });
    return rules;
  }

  private networkEgressOf(g: Governed): Record<string, unknown>[] {
    this.resolve();
    const rules: Record<string, unknown>[] = [
      {
        to: [
          {
            namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: 'kube-system' } },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
      { to: [namespacePeer(ISTIO_NAMESPACE)] },
    ];
    for (const d of dependenciesOf(g.app))
      rules.push({ to: [{ ...namespacePeer(d.namespace), podSelector: appPodSelector(d) }], ports: tcpPorts(d) });
    if (this.tracing && this.tracing.namespace !== ISTIO_NAMESPACE) {
      rules.push({
        to: [namespacePeer(this.tracing.namespace)],
        ports: [{ protocol: 'TCP', port: this.tracing.port }],
      });
    }
    return rules;
  }

  /** Generated DestinationRules and Canaries must not originate TLS that the workloads' mTLS mode refuses. */
  private validateDestinationRules(): string[] {
    const problems: string[] = [];
    // The routing objects of the whole tree are checked once, by the tree's first policy, each against the
    // policy that governs its app: linear in objects, however many policies the tree has.
    const registry = registryOf(this);
    if (registry.policies[0] !== this) return problems;
    // Every policy's apps, those it finds at synthesis included (ZeroTrustChart without 'apps').
    for (const policy of registry.policies) policy.resolve();
    const byHost = new Map<string, { app: IMeshApp; policy: ZeroTrustPolicy }>();
    for (const policy of registry.policies) for (const { app } of policy.governed.values()) byHost.set(app.host, { app, policy });
    for (const c of treeOf(this).routingObjects) {
      const o = c.toJson() as { metadata: { name: string; namespace?: string }; spec?: Record<string, any> };
      const namespace = o.metadata.namespace ?? 'default';
      const name = `${c.kind} ${namespace}/${o.metadata.name}`;
      if (c.kind === 'Canary') {
        const target = byHost.get(serviceHost(String(o.spec?.targetRef?.name), namespace));
        const mode = o.spec?.service?.trafficPolicy?.tls?.mode;
        if (target && mode) target.policy.checkTls(problems, name, target.app, undefined, mode);
        continue;
      }
      if (c.kind !== 'DestinationRule') continue;
      const target = byHost.get(qualifiedServiceHost(String(o.spec?.host ?? ''), namespace));
      if (!target) continue;
      const { app, policy } = target;
      const policies = [o.spec?.trafficPolicy, ...(o.spec?.subsets ?? []).map((s: any) => s.trafficPolicy)].filter(Boolean);
      for (const tp of policies) {
        if (tp.tls?.mode) policy.checkTls(problems, name, app, undefined, tp.tls.mode);
        for (const pls of tp.portLevelSettings ?? [])
          if (pls.tls?.mode) policy.checkTls(problems, name, app, pls.port?.number, pls.tls.mode);
      }
    }
    return problems;
  }

  private checkTls(problems: string[], object: string, app: IMeshApp, port: number | undefined, mode: string): void {
    const ports = port === undefined ? app.ports.map((p) => p.port) : [port];
    for (const p of ports) {
      const peer = this.mtlsModeOf(app, p);
      const where = `${keyOf(app)} port ${p}`;
      if (peer === MtlsMode.STRICT && mode !== 'ISTIO_MUTUAL') {
        problems.push(
          `ZeroTrustPolicy ${this.node.path}: ${object} sets tls mode ${mode} toward ${where}, whose workloads accept only mutual TLS (PeerAuthentication STRICT): every request would fail; remove the tls setting (Istio's auto mTLS) or use ISTIO_MUTUAL`,
        );
        return;
      }
      if (peer === MtlsMode.DISABLE && mode !== 'DISABLE') {
        problems.push(
          `ZeroTrustPolicy ${this.node.path}: ${object} sets tls mode ${mode} toward ${where}, whose workloads accept only plain text (PeerAuthentication DISABLE); remove the tls setting or use DISABLE`,
        );
        return;
      }
    }
  }
}

/** What the policies of one construct tree share: built once per tree, so many policies stay linear. */
interface PolicyRegistry {
  /** The tree's policies, in creation order. */
  readonly policies: ZeroTrustPolicy[];
  /** Who calls each app (`namespace/name`), over every policy. */
  dependents?: Map<string, IMeshApp[]>;
  /** The namespaces some policy governs. */
  namespaces?: Set<string>;
  /** The namespaces whose default-deny ingress NetworkPolicy a policy of the tree renders. */
  isolated?: Set<string>;
  /** The tree as access needs it, read once at synthesis. */
  tree?: TreeScan;
}

/** How the routing objects of the tree reach an app. */
interface AppRoutes {
  /** A VirtualService or Canary bound to a gateway (not only `mesh`) routes to it. */
  viaGateway: boolean;
  /** The load testers a Canary's webhooks call for it, by Service host `<name>.<namespace>`. */
  readonly loadTesterHosts: Set<string>;
}

/** One walk of the construct tree: what access needs from constructs other than the policies. */
interface TreeScan {
  /** Per app Service host (`<name>.<namespace>.svc.cluster.local`). */
  readonly routes: Map<string, AppRoutes>;
  /** The DestinationRules and Canaries (their TLS settings must agree with the workloads' mTLS). */
  readonly routingObjects: ApiObject[];
  /** Every MeshApp of the tree. */
  readonly meshApps: MeshApp[];
  /** The tree's observability stack, if any (its Prometheus scrapes the sidecars). */
  readonly observability?: ObservabilityStack;
  /**
   * Per external host (of a ServiceEntry), the Sidecar egress hosts an app that declares it imports: the
   * ServiceEntry's, and the egress gateway its mesh route goes to ({@link externalEgressHosts}).
   */
  readonly externalHosts: ReadonlyMap<string, readonly string[]>;
  /** The tree's Flagger load testers, by Service host `<name>.<namespace>`: their pods and ServiceAccount. */
  readonly loadTesters: Map<string, ChartWorkload>;
}

const REGISTRIES = new WeakMap<IConstruct, PolicyRegistry>();

function registryOf(policy: IConstruct): PolicyRegistry {
  const root = policy.node.root;
  let registry = REGISTRIES.get(root);
  if (!registry) REGISTRIES.set(root, (registry = { policies: [] }));
  return registry;
}

/** The tree scan, made at the first synthesis of any policy of the tree. */
function treeOf(policy: IConstruct): TreeScan {
  const registry = registryOf(policy);
  if (registry.tree) return registry.tree;
  const routes = new Map<string, AppRoutes>();
  const routeTo = (host: string) => {
    let r = routes.get(host);
    if (!r) routes.set(host, (r = { viaGateway: false, loadTesterHosts: new Set() }));
    return r;
  };
  const routingObjects: ApiObject[] = [];
  const meshApps: MeshApp[] = [];
  let observability: ObservabilityStack | undefined;
  const egressObjects: { apiVersion: string; kind: string; metadata: { namespace?: string }; spec?: Record<string, any> }[] = [];
  const loadTesters = new Map<string, ChartWorkload>();
  for (const c of policy.node.root.node.findAll()) {
    if (c instanceof MeshApp) meshApps.push(c);
    else if (c instanceof ObservabilityStack) observability ??= c;
    else if (c instanceof FlaggerLoadTester) loadTesters.set(`${c.workload.name}.${c.workload.namespace}`, c.workload);
    if (!(c instanceof ApiObject)) continue;
    if (c.apiVersion.startsWith('networking.istio.io/') && (c.kind === 'ServiceEntry' || c.kind === 'VirtualService')) {
      // The external services, and the egress gateway their mesh routes go to.
      egressObjects.push({ apiVersion: c.apiVersion, kind: c.kind, ...(c.toJson() as { metadata: { namespace?: string } }) });
    }
    const istio = c.apiVersion.startsWith('networking.istio.io/');
    const flagger = c.apiVersion.startsWith('flagger.app/');
    if (!(istio && (c.kind === 'VirtualService' || c.kind === 'DestinationRule')) && !(flagger && c.kind === 'Canary')) continue;
    if (c.kind !== 'VirtualService') routingObjects.push(c);
    if (c.kind === 'DestinationRule') continue;
    const o = c.toJson() as { metadata: { namespace?: string }; spec?: Record<string, any> };
    const namespace = o.metadata.namespace ?? 'default';
    if (c.kind === 'VirtualService') {
      const viaGateway = ((o.spec?.gateways ?? []) as string[]).some((g) => g !== 'mesh');
      const destinations = ['http', 'tcp', 'tls'].flatMap((k) => (o.spec?.[k] ?? []) as any[]).flatMap((r) => (r.route ?? []) as any[]);
      for (const d of destinations)
        if (viaGateway) routeTo(qualifiedServiceHost(String(d.destination?.host ?? ''), namespace)).viaGateway = true;
    } else {
      const r = routeTo(serviceHost(String(o.spec?.targetRef?.name ?? ''), namespace));
      if (((o.spec?.service?.gateways ?? []) as string[]).some((g) => g !== 'mesh')) r.viaGateway = true;
      for (const w of (o.spec?.analysis?.webhooks ?? []) as { url?: string }[]) {
        const m = /^https?:\/\/([a-z0-9-]+)\.([a-z0-9-]+)(\.svc(\.cluster\.local)?)?(:\d+)?(\/|$)/.exec(w.url ?? '');
        if (m) r.loadTesterHosts.add(`${m[1]}.${m[2]}`);
      }
    }
  }
  registry.tree = { routes, routingObjects, meshApps, observability, externalHosts: externalEgressHosts(egressObjects), loadTesters };
  return registry.tree;
}

/** A DENY rule on requests without a request principal (no valid JWT). */
class RequireTokenRule extends AccessRule {
  constructor(owner: ZeroTrustPolicy, target: IMeshApp) {
    super(owner, AccessAction.DENY, [Peer.anyone()], target);
  }

  render(): RenderedRule {
    return { from: [{ source: { notRequestPrincipals: ['*'] } }] };
  }
}

/** The `app` label values of an app's pods: Flagger labels the primary pods of a canaried app `<app>-primary`. */
function appLabelValues(app: IMeshApp): string[] {
  return app.routingController ? [app.name, `${app.name}-primary`] : [app.name];
}

/** A pod selector for every pod of an app, primaries of a canary included. */
function appPodSelector(app: IMeshApp): Record<string, unknown> {
  const values = appLabelValues(app);
  return values.length === 1 ? { matchLabels: { app: values[0] } } : { matchExpressions: [{ key: 'app', operator: 'In', values }] };
}

/** Calls `create` once per `app` label value of the governed app, with a construct id suffix. */
function forEachSelector(g: Governed, create: (value: string, idSuffix: string) => unknown): void {
  g.labelValues.forEach((value, i) => create(value, i === 0 ? '' : '-primary'));
}

function keyOf(app: IMeshApp): string {
  return `${app.namespace}/${app.name}`;
}

/** The declared dependencies of an app. */
function dependenciesOf(app: IMeshApp): readonly IMeshApp[] {
  return app.dependencies;
}

function tcpPorts(app: IMeshApp): { protocol: string; port: number }[] {
  const ports = [...new Set(app.ports.filter((p) => p.protocol.transport !== 'UDP').map((p) => p.targetPort))];
  return ports.map((port) => ({ protocol: 'TCP', port: port }));
}

function namespacePeer(namespace: string): Record<string, unknown> {
  return { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } } };
}

function podPeer(namespace: string, labels?: Record<string, string>): Record<string, unknown> {
  return labels && Object.keys(labels).length > 0
    ? { ...namespacePeer(namespace), podSelector: { matchLabels: { ...labels } } }
    : namespacePeer(namespace);
}
