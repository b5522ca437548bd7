import { IConstruct } from 'constructs';
import { invalid } from '../core/errors';
import { Variant } from '../core/variant';
import { IMeshApp } from '../workloads/mesh-app';

/** The SPIFFE trust domain of the mesh's workload identities. */
export const TRUST_DOMAIN = 'cluster.local';

/** The identity (SPIFFE principal) of a service account: `cluster.local/ns/<namespace>/sa/<name>`. */
export function principalOf(namespace: string, serviceAccount: string): string {
  return `${TRUST_DOMAIN}/ns/${namespace}/sa/${serviceAccount}`;
}

/**
 * A workload that is not a {@link IMeshApp} of the platform but takes part in its traffic: an
 * ingress gateway, Prometheus. Authorization needs its service account, NetworkPolicy its pod labels.
 */
export interface WorkloadIdentity {
  /** Its namespace. */
  readonly namespace: string;
  /** Its ServiceAccount, the identity its sidecar or gateway proxy presents over mTLS. */
  readonly serviceAccount: string;
  /**
   * Labels of its pods, for NetworkPolicy peers.
   * @default - every pod of the namespace
   */
  readonly podLabels?: Record<string, string>;
}

/**
 * A workload an upstream Helm chart deploys (not a {@link IMeshApp}), as access rules need it: the labels
 * its chart puts on its pods (what policies select), its identity and the container port its API serves.
 * The access explainer names it `<namespace>/<name>`.
 */
export interface ChartWorkload extends WorkloadIdentity {
  /** Its name: the release's, which names its Service. */
  readonly name: string;
  /** Labels of its pods, exactly as the chart sets them. */
  readonly podLabels: Record<string, string>;
  /** The container port its API listens on (authorization and PeerAuthentication ports are container ports). */
  readonly port: number;
}

/** What kind of caller a {@link Peer} is. */
export type PeerKind = 'principal' | 'namespace' | 'requestPrincipal' | 'anyone';

/**
 * Who a rule is about: an app of the mesh (its service-account identity), a workload identity, a
 * whole namespace, an end user authenticated by a JWT, or anyone.
 */
export class Peer {
  /** An app of the mesh, identified by its service account over mTLS. */
  static app(app: IMeshApp): Peer {
    return new Peer('principal', principalOf(app.namespace, app.serviceAccountName), app.namespace, `${app.namespace}/${app.name}`, app, {
      app: app.name,
    });
  }

  /** Any workload running as `serviceAccount` in `namespace`. */
  static serviceAccount(namespace: string, serviceAccount: string): Peer {
    return new Peer('principal', principalOf(namespace, serviceAccount), namespace, `${namespace}/sa/${serviceAccount}`);
  }

  /** A workload that is not an app of the platform (a gateway, Prometheus). */
  static workload(identity: WorkloadIdentity): Peer {
    return new Peer(
      'principal',
      principalOf(identity.namespace, identity.serviceAccount),
      identity.namespace,
      `${identity.namespace}/sa/${identity.serviceAccount}`,
      undefined,
      identity.podLabels,
    );
  }

  /** Every workload of a namespace (its mTLS identities all name it). */
  static namespace(name: string): Peer {
    return new Peer('namespace', name, name, `namespace ${name}`);
  }

  /**
   * An end user whose JWT (validated by a `RequestAuthentication`) was issued by `issuer`, optionally
   * for one subject. Renders `requestPrincipals: ['<issuer>/<subject>']`.
   * @param subject the `sub` claim; `*` for any
   */
  static authenticatedUser(issuer: string, subject = '*'): Peer {
    return new Peer('requestPrincipal', `${issuer}/${subject}`, undefined, `user ${issuer}/${subject}`);
  }

  /** Any request carrying a valid JWT of any configured issuer (`requestPrincipals: ['*']`). */
  static anyAuthenticatedUser(): Peer {
    return new Peer('requestPrincipal', '*', undefined, 'any authenticated user');
  }

  /** Anyone, authenticated or not: the rule puts no condition on the source. */
  static anyone(): Peer {
    return new Peer('anyone', '*', undefined, 'anyone');
  }

  private constructor(
    /** What kind of caller this is. */
    readonly kind: PeerKind,
    /** The principal, namespace or request principal the rule names. */
    readonly value: string,
    /** The caller's namespace, when it is known (for NetworkPolicy). */
    readonly namespace: string | undefined,
    /** How messages name the caller. */
    readonly description: string,
    /** The app, when the caller is an app of the platform. */
    readonly app?: IMeshApp,
    /** Labels of the caller's pods, when known (for NetworkPolicy). */
    readonly podLabels?: Record<string, string>,
  ) {}
}

/** A caller: an app of the mesh or any {@link Peer}. */
export type PeerLike = IMeshApp | Peer;

/** The {@link Peer} of an app or peer. */
export function toPeer(from: PeerLike): Peer {
  return from instanceof Peer ? from : Peer.app(from);
}

/**
 * How a request header must match, in Istio's matching vocabulary: exact, prefix (`test*`), suffix
 * (`*.example.com`) or presence (`*`).
 */
export class HeaderMatch {
  /** The value is exactly `value`. */
  static exact(value: string): HeaderMatch {
    return new HeaderMatch(HeaderMatch.literal(value, 'exact'));
  }

  /** The value starts with `prefix` (renders `<prefix>*`). */
  static prefix(prefix: string): HeaderMatch {
    return new HeaderMatch(`${HeaderMatch.literal(prefix, 'prefix')}*`);
  }

  /** The value ends with `suffix` (renders `*<suffix>`). */
  static suffix(suffix: string): HeaderMatch {
    return new HeaderMatch(`*${HeaderMatch.literal(suffix, 'suffix')}`);
  }

  /** The header is present with any non-empty value (renders `*`). */
  static present(): HeaderMatch {
    return new HeaderMatch('*');
  }

  private static literal(value: string, what: string): string {
    if (value.length === 0 || value.includes('*')) {
      throw new TypeError(
        `HeaderMatch.${what}(${JSON.stringify(value)}): give a non-empty value without '*'; the match kind adds the wildcard`,
      );
    }
    return value;
  }

  private constructor(
    /** The Istio match string: `v`, `v*`, `*v` or `*`. */
    readonly pattern: string,
  ) {}
}

/** An HTTP method Istio can match. */
const METHOD = /^[A-Z]+$/;
/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'+.^_`|~-]+$/;

/** What an {@link AccessRule} does with the requests it matches (the Istio AuthorizationPolicy `action`). */
export class AccessAction extends Variant<'ALLOW' | 'DENY'> {
  /** The requests may pass (when no DENY rule matches them). */
  static readonly ALLOW = new AccessAction('ALLOW');
  /** The requests are refused, whatever ALLOW rules say. */
  static readonly DENY = new AccessAction('DENY');

  /** Every action. */
  static readonly ALL: readonly AccessAction[] = [AccessAction.ALLOW, AccessAction.DENY];

  /** @param name - The action's name in an AuthorizationPolicy, e.g. `ALLOW`. */
  private constructor(name: AccessAction['name']) {
    super(name);
  }
}

/** An authorization rule in intent form, rendered into one Istio `rules` entry. */
export interface RenderedRule {
  readonly from?: { readonly source: Record<string, string[]> }[];
  readonly to?: { readonly operation: Record<string, string[]> }[];
  readonly when?: { readonly key: string; readonly values?: string[]; readonly notValues?: string[] }[];
}

/**
 * One ALLOW or DENY rule from callers to an app, refined fluently:
 * `policy.allow(sleep, httpbin).onMethods('GET').onPaths('/get').whenHeader('x-rfma-token', HeaderMatch.prefix('test'))`.
 * Every refinement narrows the rule (conditions are ANDed); each can be set once.
 */
export class AccessRule {
  /** The callers (any of them). */
  readonly sources: readonly Peer[];
  private readonly operation: Record<string, string[]> = {};
  private readonly conditions: { key: string; values?: string[]; notValues?: string[] }[] = [];
  private readonly conditionKeys = new Set<string>();

  constructor(
    /** The construct that owns the rule, named in errors. */
    private readonly owner: IConstruct,
    /** What a match does. */
    readonly action: AccessAction,
    from: readonly PeerLike[],
    /** The app the rule protects. */
    readonly target: IMeshApp,
  ) {
    if (from.length === 0) this.fail('names no caller; pass an app, a Peer, or Peer.anyone()');
    this.sources = from.map(toPeer);
    const keys = new Set<string>();
    for (const p of this.sources) {
      const key = `${p.kind}:${p.value}`;
      if (keys.has(key)) this.fail(`names caller ${p.description} twice; name each caller once`);
      keys.add(key);
    }
    if (this.sources.some((p) => p.kind === 'anyone') && this.sources.length > 1) {
      this.fail('mixes Peer.anyone() with other callers; anyone already includes them, so pass Peer.anyone() alone');
    }
  }

  /** Only these HTTP methods (`GET`, `POST` ...). */
  onMethods(...methods: string[]): this {
    return this.setOperation(
      'methods',
      methods.map((m) => this.method(m)),
    );
  }

  /** Any method except these. */
  exceptMethods(...methods: string[]): this {
    return this.setOperation(
      'notMethods',
      methods.map((m) => this.method(m)),
    );
  }

  /** Only these paths: exact `/get`, prefix `/api/*`, suffix `*.png`, or `*` for any. */
  onPaths(...paths: string[]): this {
    return this.setOperation(
      'paths',
      paths.map((p) => this.path(p)),
    );
  }

  /** Any path except these (same patterns as {@link onPaths}). */
  exceptPaths(...paths: string[]): this {
    return this.setOperation(
      'notPaths',
      paths.map((p) => this.path(p)),
    );
  }

  /**
   * Only requests to these Service ports of the target. Istio matches the workload's port, so they
   * render as the container (target) ports.
   */
  onPorts(...servicePorts: number[]): this {
    return this.setOperation(
      'ports',
      servicePorts.map((port) => {
        const found = this.target.ports.find((p) => p.port === port);
        if (!found)
          this.fail(
            `port ${port} is not a port of ${this.target.namespace}/${this.target.name}; its ports: ${this.target.ports.map((p) => p.port).join(', ')}`,
          );
        return String(found.targetPort);
      }),
    );
  }

  /** Only requests whose header `name` matches one of `matches` (`request.headers[name]` values). */
  whenHeader(name: string, ...matches: HeaderMatch[]): this {
    return this.addCondition(this.headerKey(name), 'values', matches);
  }

  /** Only requests whose header `name` matches none of `matches` (`notValues`). */
  unlessHeader(name: string, ...matches: HeaderMatch[]): this {
    return this.addCondition(this.headerKey(name), 'notValues', matches);
  }

  /** The Istio `rules` entry. */
  render(): RenderedRule {
    const rule: { from?: RenderedRule['from']; to?: RenderedRule['to']; when?: RenderedRule['when'] } = {};
    const grouped: Record<string, string[]> = {};
    const field = { principal: 'principals', namespace: 'namespaces', requestPrincipal: 'requestPrincipals' } as const;
    for (const p of this.sources) {
      if (p.kind === 'anyone') continue;
      (grouped[field[p.kind]] ??= []).push(p.value);
    }
    if (Object.keys(grouped).length > 0) rule.from = Object.entries(grouped).map(([k, v]) => ({ source: { [k]: v } }));
    if (Object.keys(this.operation).length > 0) rule.to = [{ operation: { ...this.operation } }];
    if (this.conditions.length > 0) rule.when = this.conditions.map((c) => ({ ...c }));
    return rule;
  }

  private setOperation(field: string, values: string[]): this {
    if (field !== 'ports') this.requireHttp();
    if (values.length === 0) this.fail(`${field} is empty; list at least one value or leave the refinement out`);
    if (field in this.operation) this.fail(`${field} is set twice; pass every value in one call`);
    const other = field.startsWith('not')
      ? field.charAt(3).toLowerCase() + field.slice(4)
      : `not${field.charAt(0).toUpperCase()}${field.slice(1)}`;
    if (other in this.operation) this.fail(`sets both ${field} and ${other}; use one of them`);
    this.operation[field] = values;
    return this;
  }

  private addCondition(key: string, field: 'values' | 'notValues', matches: HeaderMatch[]): this {
    this.requireHttp();
    if (matches.length === 0) this.fail(`condition on ${key} lists no match; pass e.g. HeaderMatch.prefix('test')`);
    if (this.conditionKeys.has(key)) this.fail(`condition on ${key} is set twice; pass every match in one call`);
    this.conditionKeys.add(key);
    this.conditions.push({ key, [field]: matches.map((m) => m.pattern) });
    return this;
  }

  private requireHttp(): void {
    if (!this.target.ports.some((p) => p.protocol.isHttp)) {
      this.fail(
        'matches HTTP methods, paths or headers, but the app serves no HTTP port, so Istio could never match it; remove those refinements or use onPorts',
      );
    }
  }

  private method(m: string): string {
    if (!METHOD.test(m))
      this.fail(`method '${m}' is not an upper-case HTTP method, and Istio compares methods case-sensitively; use '${m.toUpperCase()}'`);
    return m;
  }

  private path(p: string): string {
    const stars = (p.match(/\*/g) ?? []).length;
    const ok =
      p === '*' || (stars === 0 && p.startsWith('/')) || (stars === 1 && ((p.startsWith('/') && p.endsWith('*')) || p.startsWith('*')));
    if (!ok) this.fail(`path '${p}' is not an Istio path match; use an exact '/get', a prefix '/api/*', a suffix '*.png' or '*'`);
    return p;
  }

  private headerKey(name: string): string {
    if (!HEADER_NAME.test(name))
      this.fail(`header name '${name}' is not an HTTP header name; use letters, digits and '-', such as 'x-rfma-token'`);
    return `request.headers[${name.toLowerCase()}]`;
  }

  private fail(message: string): never {
    return invalid('ZeroTrustPolicy', this.owner, `${this.action} rule to ${this.target.namespace}/${this.target.name}: ${message}`);
  }
}
