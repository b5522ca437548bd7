import { ISTIO_SYSTEM_NAMESPACE } from '../../../constructs/core/namespaces';
import { KubeObject } from '../../engines/render';

/** The body Istio's proxies answer a request refused by authorization with (HTTP 403). */
export const RBAC_DENIED = 'RBAC: access denied';

/**
 * Ports the sidecar serves itself for scraping (15020 merged Prometheus metrics, 15090 Envoy stats): they bypass the
 * proxy's inbound listener, so PeerAuthentication and AuthorizationPolicies never see requests to them.
 */
export const PROXY_TELEMETRY_PORTS: readonly number[] = [15020, 15090];

/** The namespace whose policies apply to every workload of the mesh. */
export const DEFAULT_ROOT_NAMESPACE = ISTIO_SYSTEM_NAMESPACE;

/** The workload a request comes from, as its sidecar proves it over mTLS. */
export interface AccessSource {
  /** Its namespace. */
  readonly namespace: string;
  /** Its ServiceAccount. */
  readonly serviceAccount: string;
  /** The trust domain of its identity. @default cluster.local */
  readonly trustDomain?: string;
}

/** The workload a request goes to. */
export interface AccessDestination {
  /** Its namespace. */
  readonly namespace: string;
  /** Its pod labels (what policy selectors match). */
  readonly labels: Readonly<Record<string, string>>;
  /** The workload (container) port called. @default - no port: port conditions do not match */
  readonly port?: number;
}

/** One request to explain. */
export interface AccessRequest {
  /** The caller's identity; leave out for plain text (no mTLS, no principal). */
  readonly source?: AccessSource;
  /** The destination workload. */
  readonly destination: AccessDestination;
  /** HTTP method. @default GET */
  readonly method?: string;
  /** Request path as sent, query included or not; normalized as Istio does before matching. @default / */
  readonly path?: string;
  /** The Host / :authority header as sent, port included when the client sends one. @default - none: host conditions do not match */
  readonly host?: string;
  /** Request headers (names are case-insensitive). @default - none */
  readonly headers?: Readonly<Record<string, string>>;
  /** The request principal `<iss>/<sub>` of a JWT a RequestAuthentication validated. @default - none */
  readonly requestPrincipal?: string;
  /** The caller's IP address (IPv4), for ipBlocks and source.ip. @default - unknown: IP conditions do not match */
  readonly sourceIp?: string;
}

/** The outcome of a request. */
export interface AccessDecision {
  /** `allow`; `deny`; or `external` when a CUSTOM policy sends it to an external authorizer that decides. */
  readonly verdict: 'allow' | 'deny' | 'external';
  /** Whether the request gets through (false for `external`: it depends on the authorizer). */
  readonly allowed: boolean;
  /** The deciding object, `<Kind> <namespace>/<name>`; none when no policy applies. */
  readonly decidedBy?: string;
  /** Why, in one sentence. */
  readonly reason: string;
  /** What the caller sees on a denial by authorization: `RBAC: access denied`. */
  readonly message?: string;
}

/** A request or policy the explainer cannot evaluate. */
export class AccessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccessError';
  }
}

type Strings = readonly string[] | undefined;
interface Source {
  readonly [field: string]: Strings;
}
interface Operation {
  readonly [field: string]: Strings;
}
interface Condition {
  readonly key: string;
  readonly values?: Strings;
  readonly notValues?: Strings;
}
interface Rule {
  readonly from?: readonly { readonly source?: Source }[];
  readonly to?: readonly { readonly operation?: Operation }[];
  readonly when?: readonly Condition[];
}
interface Policy {
  readonly id: string;
  readonly namespace: string;
  readonly action: 'ALLOW' | 'DENY' | 'CUSTOM' | 'AUDIT';
  readonly selector?: Readonly<Record<string, string>>;
  readonly rules: readonly Rule[];
  readonly provider?: string;
}
interface PeerAuth {
  readonly id: string;
  readonly selector?: Readonly<Record<string, string>>;
  readonly mode?: string;
  readonly ports: Readonly<Record<string, string>>;
}

/** What a request looks like to the policy engine. */
interface Attributes {
  readonly principal: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly trustDomain: string;
  readonly requestPrincipal: string;
  readonly sourceIp?: string;
  readonly method: string;
  readonly path: string;
  readonly host?: string;
  readonly port?: number;
  readonly headers: ReadonlyMap<string, string>;
}

/**
 * Evaluates Istio AuthorizationPolicies offline, with Istio's documented semantics for sidecar
 * workloads:
 *
 * - a policy applies to a workload when it is in the workload's namespace or in the root namespace,
 *   and its selector is absent or matches the workload's labels (`targetRef(s)` policies apply to
 *   gateways and waypoints, not sidecars, and are skipped);
 * - CUSTOM first (a match hands the request to the external authorizer), then DENY (any match
 *   denies), then ALLOW: when no ALLOW policy applies the request is allowed, otherwise it must match
 *   one; a policy without rules (such as the empty `spec: {}`) matches nothing, a rule `{}` everything;
 * - a rule matches when each of its `from`, `to` and `when` matches; entries of `from` and `to` are
 *   alternatives; inside one, every field must match (a value list matches when one value does, a
 *   `not*` list when none does); values match exactly, by prefix `x*`, suffix `*x` or presence `*`;
 * - paths are compared after Istio's default (`BASE`) normalization ({@link normalizePath}), hosts
 *   case-insensitively against the whole Host header, port included (`httpbin.demo:*` for any port);
 * - without mTLS a request has no principal or namespace: `principals` never match, `notPrincipals`
 *   always do. A plain-text request to a workload whose PeerAuthentication is STRICT is refused
 *   before authorization.
 */
export class AccessExplainer {
  private readonly policies = new Map<string, Policy[]>();
  private readonly peerAuths = new Map<string, PeerAuth[]>();

  /**
   * @param objects the rendered objects of an environment (every kind; AuthorizationPolicies and
   *   PeerAuthentications are read)
   * @param rootNamespace Istio's root namespace
   */
  constructor(
    objects: readonly KubeObject[],
    readonly rootNamespace = DEFAULT_ROOT_NAMESPACE,
  ) {
    for (const o of objects) {
      if (!o.apiVersion.startsWith('security.istio.io/')) continue;
      const spec = (o.spec ?? {}) as Record<string, any>;
      const namespace = o.metadata.namespace ?? 'default';
      const id = `${o.kind} ${namespace}/${o.metadata.name}`;
      if (spec.targetRef || spec.targetRefs) continue;
      const selector =
        spec.selector?.matchLabels && Object.keys(spec.selector.matchLabels).length > 0 ? spec.selector.matchLabels : undefined;
      if (o.kind === 'AuthorizationPolicy') {
        const action = spec.action ?? 'ALLOW';
        if (!['ALLOW', 'DENY', 'CUSTOM', 'AUDIT'].includes(action))
          throw new AccessError(`${id}: action '${action}' is not ALLOW, DENY, CUSTOM or AUDIT`);
        push(this.policies, namespace, { id, namespace, action, selector, rules: spec.rules ?? [], provider: spec.provider?.name });
      } else if (o.kind === 'PeerAuthentication') {
        const ports = Object.fromEntries(
          Object.entries((spec.portLevelMtls ?? {}) as Record<string, { mode?: string }>).map(([p, v]) => [p, v.mode ?? 'UNSET']),
        );
        push(this.peerAuths, namespace, { id, selector, mode: spec.mtls?.mode, ports });
      }
    }
  }

  /** Decides one request. */
  check(request: AccessRequest): AccessDecision {
    const dst = request.destination;
    if (dst.port !== undefined && PROXY_TELEMETRY_PORTS.includes(dst.port)) {
      return {
        verdict: 'allow',
        allowed: true,
        reason: `port ${dst.port} is served by the sidecar itself (${dst.port === 15020 ? 'merged Prometheus metrics' : "Envoy's Prometheus stats"}), outside the inbound listener: neither mTLS nor authorization policies apply (NetworkPolicies still do)`,
      };
    }
    const mtls = this.mtlsMode(dst);
    if (!request.source && mtls.mode === 'STRICT') {
      return {
        verdict: 'deny',
        allowed: false,
        decidedBy: mtls.decidedBy,
        reason: `plain text refused: the destination accepts only mutual TLS (STRICT), so the connection is reset before authorization`,
      };
    }
    const attributes = this.attributes(mtls.mode === 'DISABLE' ? { ...request, source: undefined } : request);
    const applicable = [
      ...(this.policies.get(dst.namespace) ?? []),
      ...(dst.namespace === this.rootNamespace ? [] : (this.policies.get(this.rootNamespace) ?? [])),
    ].filter((p) => !p.selector || Object.entries(p.selector).every(([k, v]) => dst.labels[k] === v));
    const byAction = (action: Policy['action']) => applicable.filter((p) => p.action === action);

    const custom = byAction('CUSTOM').find((p) => p.rules.some((r) => ruleMatches(r, attributes, p.id)));
    const denied = byAction('DENY').find((p) => p.rules.some((r) => ruleMatches(r, attributes, p.id)));
    if (denied)
      return {
        verdict: 'deny',
        allowed: false,
        decidedBy: denied.id,
        reason: `a rule of DENY policy ${denied.id} matches`,
        message: RBAC_DENIED,
      };
    const allowPolicies = byAction('ALLOW');
    let allowed: AccessDecision;
    if (allowPolicies.length === 0) {
      allowed = { verdict: 'allow', allowed: true, reason: 'no ALLOW policy selects the workload, so every request not denied is allowed' };
    } else {
      const match = allowPolicies.find((p) => p.rules.some((r) => ruleMatches(r, attributes, p.id)));
      if (!match) {
        const decisive = allowPolicies.find((p) => p.selector) ?? allowPolicies[0];
        return {
          verdict: 'deny',
          allowed: false,
          decidedBy: decisive.id,
          message: RBAC_DENIED,
          reason: `ALLOW policies select the workload (${allowPolicies.map((p) => p.id).join(', ')}) and no rule of any matches`,
        };
      }
      allowed = { verdict: 'allow', allowed: true, decidedBy: match.id, reason: `a rule of ALLOW policy ${match.id} matches` };
    }
    if (custom) {
      return {
        verdict: 'external',
        allowed: false,
        decidedBy: custom.id,
        reason: `CUSTOM policy ${custom.id} sends the request to external authorizer '${custom.provider ?? '?'}', which decides; if it allows: ${allowed.reason}`,
      };
    }
    return allowed;
  }

  /** The effective mTLS mode of the destination port: workload, then namespace, then root namespace, then PERMISSIVE. */
  private mtlsMode(dst: AccessDestination): { mode: string; decidedBy?: string } {
    const layers = [
      (this.peerAuths.get(dst.namespace) ?? []).filter(
        (p) => p.selector && Object.entries(p.selector).every(([k, v]) => dst.labels[k] === v),
      ),
      (this.peerAuths.get(dst.namespace) ?? []).filter((p) => !p.selector),
      (this.peerAuths.get(this.rootNamespace) ?? []).filter((p) => !p.selector),
    ];
    for (const layer of layers) {
      for (const pa of layer) {
        const portMode = dst.port === undefined ? undefined : pa.ports[String(dst.port)];
        const mode = portMode && portMode !== 'UNSET' ? portMode : pa.mode;
        if (mode && mode !== 'UNSET') return { mode, decidedBy: pa.id };
      }
    }
    return { mode: 'PERMISSIVE' };
  }

  private attributes(request: AccessRequest): Attributes {
    const src = request.source;
    const trustDomain = src?.trustDomain ?? 'cluster.local';
    const headers = new Map(Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const path = normalizePath(request.path ?? '/');
    return {
      principal: src ? `${trustDomain}/ns/${src.namespace}/sa/${src.serviceAccount}` : '',
      namespace: src?.namespace ?? '',
      serviceAccount: src ? `${src.namespace}/${src.serviceAccount}` : '',
      trustDomain: src ? trustDomain : '',
      requestPrincipal: request.requestPrincipal ?? '',
      sourceIp: request.sourceIp,
      method: request.method ?? 'GET',
      path,
      host: request.host,
      port: request.destination.port,
      headers,
    };
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Istio's string match: exact, prefix `x*`, suffix `*x`, presence `*` (non-empty). */
export function matchValue(pattern: string, value: string | undefined, caseInsensitive = false): boolean {
  if (value === undefined || value === '') return false;
  const [p, v] = caseInsensitive ? [pattern.toLowerCase(), value.toLowerCase()] : [pattern, value];
  if (p === '*') return true;
  if (p.startsWith('*')) return v.endsWith(p.slice(1));
  if (p.endsWith('*')) return v.startsWith(p.slice(0, -1));
  return v === p;
}

/**
 * The path as Istio's default normalization (`BASE`) hands it to authorization: the query dropped,
 * percent-encoded unreserved characters (`%2d %2e %30-%39 %41-%5a %5f %61-%7a %7e`) decoded once,
 * backslashes turned into slashes, and `.` / `..` segments resolved (RFC 3986). Slashes are not
 * merged and `%2f` is not decoded (those are the MERGE_SLASHES and DECODE_AND_MERGE_SLASHES options).
 */
export function normalizePath(raw: string): string {
  const withoutQuery = raw.split('?')[0];
  if (!withoutQuery.startsWith('/') && !withoutQuery.startsWith('\\')) throw new AccessError(`path '${raw}' does not start with '/'`);
  if (/%00/.test(withoutQuery)) throw new AccessError(`path '${raw}' contains %00, which Istio rejects with HTTP 400 before authorization`);
  const decoded = withoutQuery.replace(/%([0-9a-fA-F]{2})/g, (encoded, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return /^[-.0-9A-Za-z_~]$/.test(c) ? c : encoded;
  });
  const out: string[] = [];
  const segments = decoded.replace(/\\/g, '/').split('/').slice(1);
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '.' || segment === '..') {
      if (segment === '..') out.pop();
      if (last) out.push('');
    } else {
      out.push(segment);
    }
  });
  return `/${out.join('/')}`;
}

/** Path match: Istio's string match, plus the path templates `{*}` (one segment) and `{**}` (the rest). */
function matchPath(pattern: string, path: string): boolean {
  if (!pattern.includes('{')) return matchValue(pattern, path);
  const regex = pattern
    .split(/(\{\*\*\}|\{\*\})/)
    .map((part) => (part === '{**}' ? '.+' : part === '{*}' ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${regex}$`).test(path);
}

function inCidr(ip: string | undefined, cidr: string): boolean {
  if (!ip) return false;
  const toInt = (a: string) => a.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
  const [base, bits] = cidr.includes('/') ? [cidr.slice(0, cidr.indexOf('/')), Number(cidr.slice(cidr.indexOf('/') + 1))] : [cidr, 32];
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (toInt(ip) & mask) >>> 0 === (toInt(base) & mask) >>> 0;
}

/** One value list of a rule: undefined means "no condition". */
function list(values: Strings, matches: (v: string) => boolean): boolean {
  return values === undefined || values.length === 0 || values.some(matches);
}
function notList(values: Strings, matches: (v: string) => boolean): boolean {
  return values === undefined || !values.some(matches);
}

const SOURCE_FIELDS = new Set([
  'principals',
  'notPrincipals',
  'namespaces',
  'notNamespaces',
  'serviceAccounts',
  'notServiceAccounts',
  'trustDomains',
  'notTrustDomains',
  'requestPrincipals',
  'notRequestPrincipals',
  'ipBlocks',
  'notIpBlocks',
  'remoteIpBlocks',
  'notRemoteIpBlocks',
]);
const OPERATION_FIELDS = new Set(['hosts', 'notHosts', 'ports', 'notPorts', 'methods', 'notMethods', 'paths', 'notPaths']);

function sourceMatches(s: Source, a: Attributes, id: string): boolean {
  for (const k of Object.keys(s))
    if (!SOURCE_FIELDS.has(k)) throw new AccessError(`${id}: source field '${k}' is not an Istio source field`);
  const eq = (v: string) => (p: string) => matchValue(p, v);
  return (
    list(s.principals, eq(a.principal)) &&
    notList(s.notPrincipals, eq(a.principal)) &&
    list(s.namespaces, eq(a.namespace)) &&
    notList(s.notNamespaces, eq(a.namespace)) &&
    list(s.serviceAccounts, (p) => p === a.serviceAccount) &&
    notList(s.notServiceAccounts, (p) => p === a.serviceAccount) &&
    list(s.trustDomains, eq(a.trustDomain)) &&
    notList(s.notTrustDomains, eq(a.trustDomain)) &&
    list(s.requestPrincipals, eq(a.requestPrincipal)) &&
    notList(s.notRequestPrincipals, eq(a.requestPrincipal)) &&
    list(s.ipBlocks, (c) => inCidr(a.sourceIp, c)) &&
    notList(s.notIpBlocks, (c) => inCidr(a.sourceIp, c)) &&
    list(s.remoteIpBlocks, (c) => inCidr(a.sourceIp, c)) &&
    notList(s.notRemoteIpBlocks, (c) => inCidr(a.sourceIp, c))
  );
}

function operationMatches(o: Operation, a: Attributes, id: string): boolean {
  for (const k of Object.keys(o))
    if (!OPERATION_FIELDS.has(k)) throw new AccessError(`${id}: operation field '${k}' is not an Istio operation field`);
  // The whole Host / :authority header, port included: `httpbin.demo` does not match `httpbin.demo:8000`.
  const host = (p: string) => matchValue(p, a.host, true);
  const port = (p: string) => a.port !== undefined && p === String(a.port);
  const method = (p: string) => matchValue(p, a.method);
  const path = (p: string) => matchPath(p, a.path);
  return (
    list(o.hosts, host) &&
    notList(o.notHosts, host) &&
    list(o.ports, port) &&
    notList(o.notPorts, port) &&
    list(o.methods, method) &&
    notList(o.notMethods, method) &&
    list(o.paths, path) &&
    notList(o.notPaths, path)
  );
}

function conditionValue(key: string, a: Attributes, id: string): string | undefined {
  const header = /^request\.headers\[(.+)\]$/.exec(key);
  if (header) return a.headers.get(header[1].toLowerCase());
  switch (key) {
    case 'source.ip':
    case 'remote.ip':
      return a.sourceIp;
    case 'source.namespace':
      return a.namespace;
    case 'source.principal':
      return a.principal;
    case 'source.serviceAccount':
      return a.serviceAccount;
    case 'request.auth.principal':
      return a.requestPrincipal;
    case 'destination.port':
      return a.port === undefined ? undefined : String(a.port);
    case 'request.auth.audiences':
    case 'request.auth.presenter':
    case 'destination.ip':
    case 'connection.sni':
      return undefined;
    default:
      if (/^request\.auth\.claims\[.+\]$/.test(key)) return undefined;
      throw new AccessError(`${id}: condition key '${key}' is not supported by Istio's authorization (or by the explainer)`);
  }
}

function conditionMatches(c: Condition, a: Attributes, id: string): boolean {
  const value = conditionValue(c.key, a, id);
  const ip = c.key === 'source.ip' || c.key === 'remote.ip';
  const match = (p: string) => (ip ? inCidr(value, p) : matchValue(p, value));
  return list(c.values, match) && notList(c.notValues, match);
}

function ruleMatches(rule: Rule, a: Attributes, id: string): boolean {
  // An empty list is an absent field in Istio's (protobuf) semantics.
  const from = !rule.from?.length || rule.from.some((f) => sourceMatches(f.source ?? {}, a, id));
  const to = !rule.to?.length || rule.to.some((t) => operationMatches(t.operation ?? {}, a, id));
  const when = (rule.when ?? []).every((c) => conditionMatches(c, a, id));
  return from && to && when;
}
