import * as path from 'node:path';
import { Duration } from 'cdk8s';
import { meshWarnings } from '../../constructs/core/errors';
import { qualifiedServiceHost } from '../../constructs/core/hosts';
import { DurationSyntax } from '../../constructs/core/duration';
import { istioDuration } from '../../constructs/traffic/resilient-route';
import { loadEnvironmentFile } from '../environments';
import { buildPlatform } from '../composition/platform';
import { KubeObject, objectKey, renderCharts, RenderedChart } from '../engines/render';

/**
 * `explain routes`: what the mesh will do with requests to each host, read back from the synthesized
 * objects (VirtualServices, DestinationRules, Flagger Canaries), never from the constructs' props:
 * what is explained is what a cluster receives, escape-hatch patches included.
 */

/** Istio's retry policy when a route sets none. */
export const ISTIO_DEFAULT_RETRIES = {
  attempts: 2,
  retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
} as const;

/** One HTTP route of a host, as a cluster will apply it. */
export interface ExplainedRoute {
  /** The object it comes from (`<apiVersion> <kind> <ns>/<name>`). */
  readonly source: string;
  /** The route's name, if any. */
  readonly name?: string;
  /** Gateways the route is bound to, as the object lists them (`mesh`: the sidecars); empty: the sidecars only. */
  readonly gateways: readonly string[];
  /** Which requests it applies to, readable. */
  readonly when: string;
  /** Where requests go, with weights (percent). */
  readonly destinations: readonly { readonly host: string; readonly port?: number; readonly subset?: string; readonly weight: number }[];
  /** The request timeout, or undefined when there is none (Istio's default). */
  readonly timeout?: string;
  /** The retry policy, `default` when Istio's default applies. */
  readonly retries: {
    readonly attempts: number;
    readonly perTryTimeout?: string;
    readonly retryOn: string;
    readonly istioDefault: boolean;
  };
  /** min(timeout, perTryTimeout x attempts) in milliseconds; undefined when unbounded. */
  readonly effectiveTimeoutMs?: number;
  /** True when the timeout ends a request before all its retries could run. */
  readonly retriesCutShort: boolean;
  /** True when perTryTimeout exceeds the timeout: no attempt can use it and no retry can run. */
  readonly perTryTimeoutExceedsTimeout: boolean;
  /** Injected faults, readable. */
  readonly faults: readonly string[];
  /** Mirrored traffic, readable. */
  readonly mirrors: readonly string[];
}

/** The traffic policy of a destination host (a DestinationRule's, or a Canary's service.trafficPolicy). */
export interface ExplainedPolicy {
  readonly source: string;
  readonly connectionPool?: Record<string, any>;
  readonly outlierDetection?: Record<string, any>;
  readonly loadBalancer?: Record<string, any>;
  readonly tls?: Record<string, any>;
}

/** A progressive delivery of the host by Flagger. */
export interface ExplainedCanary {
  readonly source: string;
  /** How traffic shifts from primary to canary, readable. */
  readonly weights: string;
}

/** Everything that shapes requests to one host. */
export interface HostReport {
  /** The host, fully qualified for in-mesh Services. */
  readonly host: string;
  readonly routes: ExplainedRoute[];
  readonly policies: ExplainedPolicy[];
  readonly canaries: ExplainedCanary[];
}

/**
 * The per-host behaviour of the rendered objects, sorted by host. Linear in the number of objects.
 * @param host only this host (fully qualified, or the Service name / `name.namespace` prefix)
 */
export function explainRoutes(charts: readonly RenderedChart[], host?: string): HostReport[] {
  const reports = new Map<string, HostReport>();
  const report = (h: string): HostReport => {
    let r = reports.get(h);
    if (!r) reports.set(h, (r = { host: h, routes: [], policies: [], canaries: [] }));
    return r;
  };
  // One Service, one host: `httpbin`, `httpbin.demo` and `httpbin.demo.svc.cluster.local` are one report
  // (a two-label host is `name.namespace` only for a namespace of the environment: `httpbin.org` stays external).
  const objects = charts.flatMap((c) => c.objects);
  const namespaces = new Set(
    objects.flatMap((o) => [o.metadata.namespace ?? 'default', ...(o.kind === 'Namespace' ? [o.metadata.name] : [])]),
  );
  const q: Qualify = (h, ns) => qualifiedServiceHost(h, ns ?? 'default', namespaces);
  for (const chart of charts) {
    for (const o of chart.objects) {
      if (o.apiVersion.startsWith('networking.istio.io/') && o.kind === 'VirtualService') explainVirtualService(o, report, q);
      else if (o.apiVersion.startsWith('networking.istio.io/') && o.kind === 'DestinationRule') explainDestinationRule(o, report, q);
      else if (o.apiVersion.startsWith('flagger.app/') && o.kind === 'Canary') explainCanary(o, report, q);
    }
  }
  return [...reports.values()]
    .filter((r) => !host || r.host === host || r.host.startsWith(`${host}.`))
    .sort((a, b) => a.host.localeCompare(b.host));
}

/** Options of {@link explainEnvironment}. */
export interface ExplainOptions {
  /** The folder holding `Pulumi.<env>.yaml`. */
  readonly configDir: string;
  /** The environment. */
  readonly env: string;
  /** Only this host (see {@link explainRoutes}). */
  readonly host?: string;
}

/** `explain routes --env <env>`: loads, builds and renders the environment, then explains it, warnings last. */
export function explainEnvironment(options: ExplainOptions): string {
  const app = buildPlatform(loadEnvironmentFile(path.join(options.configDir, `Pulumi.${options.env}.yaml`)));
  const text = formatExplain(explainRoutes(renderCharts(app), options.host));
  const warnings = meshWarnings(app);
  return warnings.length ? `${text}\nwarnings:\n${warnings.map((w) => `  ${w}`).join('\n')}\n` : text;
}

/** The report as text, one block per host. */
export function formatExplain(reports: readonly HostReport[]): string {
  if (reports.length === 0) return 'no routes: no VirtualService, DestinationRule or Canary matches\n';
  const out: string[] = [];
  for (const r of reports) {
    out.push(r.host);
    for (const route of r.routes) {
      out.push(
        `  route${route.name ? ` '${route.name}'` : ''} (${route.source}${route.gateways.length ? `, via ${route.gateways.join(', ')}` : ''}): ${route.when}`,
      );
      out.push(
        `    to: ${route.destinations.map((d) => `${d.host}${d.port ? `:${d.port}` : ''}${d.subset ? ` subset ${d.subset}` : ''} ${d.weight}%`).join(', ') || 'nowhere'}`,
      );
      out.push(`    timeout: ${route.timeout ?? 'none (Istio default)'}`);
      const rt = route.retries;
      const perTry = rt.perTryTimeout ?? (route.timeout ? 'up to the route timeout' : 'no per-try timeout');
      out.push(
        `    retries: ${rt.attempts === 0 ? 'off' : `${rt.attempts} x ${perTry} on ${rt.retryOn}`}${rt.istioDefault ? ' (Istio default)' : ''}`,
      );
      const problem = route.perTryTimeoutExceedsTimeout
        ? ` (ERROR: perTryTimeout ${rt.perTryTimeout} exceeds the timeout ${route.timeout}, so no retry can run; lower perTryTimeout to at most the timeout)`
        : route.retriesCutShort
          ? ' (WARNING: the timeout cuts retries short)'
          : '';
      out.push(
        `    effective timeout: ${route.effectiveTimeoutMs === undefined ? 'unbounded' : istioDuration(Duration.millis(route.effectiveTimeoutMs))}${problem}`,
      );
      if (route.faults.length)
        out.push(
          `    faults: ${route.faults.join('; ')} (injected by the calling proxy before routing: not retried, not timed out, never seen by the app or by ejection)`,
        );
      if (route.mirrors.length) out.push(`    mirror: ${route.mirrors.join('; ')}`);
    }
    for (const p of r.policies) {
      out.push(`  traffic policy (${p.source}):`);
      out.push(`    connection pool: ${describePool(p.connectionPool)}`);
      out.push(`    ejection: ${describeOutliers(p.outlierDetection)}`);
      out.push(`    load balancing: ${describeLoadBalancer(p.loadBalancer)}`);
      if (p.tls) out.push(`    tls: ${p.tls.mode ?? JSON.stringify(p.tls)}`);
    }
    for (const c of r.canaries) out.push(`  progressive delivery (${c.source}): ${c.weights}`);
  }
  return `${out.join('\n')}\n`;
}

/** Milliseconds of an Istio/Go duration (`1h30m`, `1.5s`, `250ms`), or undefined when it is not one. */
export function durationMs(text: unknown): number | undefined {
  return DurationSyntax.GO_PRECISE.millisOf(text);
}

/** Qualifies a host written in a namespace (see {@link qualifiedServiceHost}). */
type Qualify = (host: string, namespace: string | undefined) => string;

function explainVirtualService(o: KubeObject, report: (h: string) => HostReport, fqdn: Qualify): void {
  const spec = (o.spec ?? {}) as Record<string, any>;
  const ns = o.metadata.namespace;
  const gateways: string[] = spec.gateways ?? [];
  const routes = ((spec.http ?? []) as Record<string, any>[]).map((r) => explainHttpRoute(r, objectKey(o), gateways, ns, fqdn));
  for (const h of spec.hosts ?? []) report(fqdn(h, ns)).routes.push(...routes);
}

function explainHttpRoute(
  r: Record<string, any>,
  source: string,
  gateways: string[],
  ns: string | undefined,
  fqdn: Qualify,
): ExplainedRoute {
  const dests = (r.route ?? []) as Record<string, any>[];
  const destinations = dests.map((d) => ({
    host: fqdn(String(d.destination?.host ?? '?'), ns),
    port: d.destination?.port?.number,
    subset: d.destination?.subset,
    weight: d.weight ?? (dests.length === 1 ? 100 : 0),
  }));
  const istioDefault = r.retries === undefined;
  const retries = istioDefault
    ? { ...ISTIO_DEFAULT_RETRIES, istioDefault }
    : {
        attempts: Number(r.retries.attempts ?? ISTIO_DEFAULT_RETRIES.attempts),
        perTryTimeout: r.retries.perTryTimeout,
        retryOn: r.retries.retryOn ?? ISTIO_DEFAULT_RETRIES.retryOn,
        istioDefault,
      };
  const timeoutMs = durationMs(r.timeout);
  const perTryMs = durationMs(retries.perTryTimeout) ?? timeoutMs;
  const retryBudgetMs = retries.attempts > 0 && perTryMs !== undefined ? perTryMs * retries.attempts : undefined;
  const effectiveTimeoutMs =
    timeoutMs === undefined ? retryBudgetMs : retryBudgetMs === undefined ? timeoutMs : Math.min(timeoutMs, retryBudgetMs);
  const fault = r.fault ?? {};
  const faults: string[] = [];
  if (fault.delay)
    faults.push(`delay ${fault.delay.fixedDelay ?? fault.delay.exponentialDelay} on ${percent(fault.delay.percentage)} of requests`);
  if (fault.abort)
    faults.push(
      `abort with ${fault.abort.httpStatus !== undefined ? `HTTP ${fault.abort.httpStatus}` : `gRPC ${fault.abort.grpcStatus ?? fault.abort.http2Error}`} on ${percent(fault.abort.percentage)} of requests`,
    );
  const mirrors: string[] = [
    ...(r.mirror ? [`${fqdn(r.mirror.host, ns)} ${r.mirrorPercentage?.value ?? 100}%`] : []),
    ...((r.mirrors ?? []) as Record<string, any>[]).map((m) => `${fqdn(m.destination?.host ?? '?', ns)} ${m.percentage?.value ?? 100}%`),
  ];
  return {
    source,
    name: r.name,
    gateways,
    when: describeMatch(r.match),
    destinations,
    timeout: r.timeout,
    retries,
    effectiveTimeoutMs,
    // Without a perTryTimeout each attempt may use the whole timeout: that is Istio's default, not a mistake.
    retriesCutShort:
      retries.perTryTimeout !== undefined && timeoutMs !== undefined && retryBudgetMs !== undefined && timeoutMs < retryBudgetMs,
    perTryTimeoutExceedsTimeout: retries.attempts > 0 && timeoutMs !== undefined && perTryMs !== undefined && perTryMs > timeoutMs,
    faults,
    mirrors,
  };
}

function explainDestinationRule(o: KubeObject, report: (h: string) => HostReport, fqdn: Qualify): void {
  const spec = (o.spec ?? {}) as Record<string, any>;
  if (!spec.host) return;
  const tp = spec.trafficPolicy ?? {};
  report(fqdn(spec.host, o.metadata.namespace)).policies.push({
    source: objectKey(o),
    connectionPool: tp.connectionPool,
    outlierDetection: tp.outlierDetection,
    loadBalancer: tp.loadBalancer,
    tls: tp.tls,
  });
}

function explainCanary(o: KubeObject, report: (h: string) => HostReport, fqdn: Qualify): void {
  const spec = (o.spec ?? {}) as Record<string, any>;
  const service = spec.service ?? {};
  const name = service.name ?? spec.targetRef?.name ?? o.metadata.name;
  const source = objectKey(o);
  const ns = o.metadata.namespace;
  const r = report(fqdn(name, ns));
  const gateways: string[] = service.gateways ?? [];
  // Flagger generates the VirtualService: every request goes to primary and canary by the analysis' weights.
  const route = explainHttpRoute(
    {
      timeout: service.timeout,
      retries: service.retries,
      match: service.match,
      route: [{ destination: { host: name, port: { number: service.port } } }],
    },
    source,
    gateways,
    ns,
    fqdn,
  );
  const generated = {
    ...route,
    name: 'generated by Flagger',
    destinations: [
      { host: fqdn(`${name}-primary`, ns), port: service.port, weight: 100 },
      { host: fqdn(`${name}-canary`, ns), port: service.port, weight: 0 },
    ],
  };
  r.routes.push(generated);
  // Flagger's VirtualService also answers on the Canary's external hosts, at its gateways.
  for (const h of service.hosts ?? []) if (fqdn(h, ns) !== r.host) report(fqdn(h, ns)).routes.push(generated);
  if (service.trafficPolicy) {
    const tp = service.trafficPolicy;
    r.policies.push({
      source,
      connectionPool: tp.connectionPool,
      outlierDetection: tp.outlierDetection,
      loadBalancer: tp.loadBalancer,
      tls: tp.tls,
    });
  }
  r.canaries.push({ source, weights: describeAnalysis(spec.analysis ?? {}) });
}

function describeAnalysis(a: Record<string, any>): string {
  const every = a.interval ? ` every ${a.interval}` : '';
  const rollback = a.threshold !== undefined ? `; rolls back after ${a.threshold} failed checks` : '';
  if (a.iterations !== undefined) {
    const kind = a.match ? `A/B testing (${describeMatch(a.match)} to the canary)` : a.mirror ? 'blue/green with mirroring' : 'blue/green';
    return `${kind}: ${a.iterations} iterations${every}, then 100% to the promoted primary${rollback}`;
  }
  const steps: number[] = Array.isArray(a.stepWeights) ? a.stepWeights : [];
  const shift = steps.length
    ? `canary weight ${steps.join('% → ')}%`
    : `canary weight +${a.stepWeight ?? '?'}% per step up to ${a.maxWeight ?? 50}%`;
  return `primary 100% → ${shift}${every}, then promotion${rollback}`;
}

function describeMatch(match: unknown): string {
  if (!Array.isArray(match) || match.length === 0) return 'every request';
  return match
    .map((m: Record<string, any>) => {
      const parts: string[] = [];
      for (const [field, value] of Object.entries(m)) {
        if (field === 'headers' || field === 'queryParams') {
          for (const [h, sm] of Object.entries(value as Record<string, any>))
            parts.push(`${field === 'headers' ? 'header' : 'query'} ${h} ${describeString(sm)}`);
        } else if (field === 'uri') parts.push(`path ${describeString(value)}`);
        else parts.push(`${field} ${describeString(value)}`);
      }
      return parts.join(' and ');
    })
    .map((s) => `when ${s}`)
    .join(', or ');
}

function describeString(sm: unknown): string {
  if (!sm || typeof sm !== 'object') return JSON.stringify(sm);
  const [kind, value] = Object.entries(sm)[0] ?? ['?', '?'];
  return kind === 'exact'
    ? `= ${value}`
    : kind === 'prefix'
      ? `starts with ${value}`
      : kind === 'regex'
        ? `~ ${value}`
        : `${kind} ${value}`;
}

function percent(p: unknown): string {
  const value = (p as { value?: number } | undefined)?.value;
  return value === undefined ? '100%' : `${value}%`;
}

function describePool(pool: Record<string, any> | undefined): string {
  if (!pool) return 'unlimited (Istio default)';
  const parts = [
    ...Object.entries(pool.tcp ?? {}).map(([k, v]) => `tcp ${k} ${v}`),
    ...Object.entries(pool.http ?? {}).map(([k, v]) => `http ${k} ${v}`),
  ];
  const misplaced = Object.keys(pool).filter((k) => k !== 'tcp' && k !== 'http');
  return `${parts.join(', ') || 'unlimited'}${misplaced.length ? ` (IGNORED by Istio: ${misplaced.join(', ')} inside connectionPool)` : ''}`;
}

function describeOutliers(od: Record<string, any> | undefined): string {
  if (!od) return 'off';
  const deprecated = od.consecutiveErrors !== undefined ? ` (IGNORED: deprecated consecutiveErrors ${od.consecutiveErrors})` : '';
  // Istio ejects after 5 consecutive 5xx unless consecutive5xxErrors says otherwise (0: off); gateway errors are 5xx too.
  const fiveXx = Number(od.consecutive5xxErrors ?? 5);
  const gateway = Number(od.consecutiveGatewayErrors ?? 0);
  const trigger = [
    fiveXx > 0 ? `${fiveXx} consecutive 5xx${od.consecutive5xxErrors === undefined ? ' (Istio default)' : ''}` : undefined,
    gateway > 0 && (fiveXx === 0 || gateway < fiveXx) ? `${gateway} consecutive gateway errors` : undefined,
  ]
    .filter(Boolean)
    .join(' or ');
  if (!trigger) return `off (consecutive5xxErrors 0, no consecutiveGatewayErrors)${deprecated}`;
  const pause = od.minHealthPercent ? `, paused while under ${od.minHealthPercent}% of hosts are healthy` : '';
  return `eject a host after ${trigger}, sweeping every ${od.interval ?? '10s'}, for ${od.baseEjectionTime ?? '30s'} x times ejected, up to ${od.maxEjectionPercent ?? 10}% of hosts${pause}${deprecated}`;
}

function describeLoadBalancer(lb: Record<string, any> | undefined): string {
  if (!lb) return 'least request (Istio default)';
  if (lb.simple) return lb.simple.toLowerCase().replace(/_/g, ' ');
  const ch = lb.consistentHash;
  if (ch?.httpHeaderName) return `consistent hash on header ${ch.httpHeaderName}`;
  if (ch?.httpCookie) return `consistent hash on cookie ${ch.httpCookie.name} (ttl ${ch.httpCookie.ttl ?? 'session'})`;
  if (ch?.useSourceIp) return 'consistent hash on source IP';
  if (ch?.httpQueryParameterName) return `consistent hash on query parameter ${ch.httpQueryParameterName}`;
  return JSON.stringify(lb);
}
