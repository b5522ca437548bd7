import * as path from 'node:path';
import { ChartWorkload, serviceHost, ZeroTrustPolicy } from '../../constructs';
import { loadEnvironmentFile } from '../environments';
import { buildPlatform } from '../composition/platform';
import { KubeObject, renderCharts } from '../engines/render';
import { AccessDecision, AccessError, AccessExplainer } from '../inspection/access/evaluate';
import { workloadsOf } from '../inspection/access/matrix';
import { describeNetworkDecision, NetworkPolicyExplainer, withNetworkPolicies } from '../inspection/access/network-policy';

/** The rendered objects of one environment, every chart. */
export function environmentObjects(configDir: string, env: string): KubeObject[] {
  return environmentForAccess(configDir, env).objects;
}

/**
 * One environment as the explainer needs it: its rendered objects, and the workloads its upstream charts
 * deploy that its zero-trust policies name (Flagger, its load tester), which no rendered Deployment shows.
 */
export function environmentForAccess(configDir: string, env: string): { objects: KubeObject[]; chartWorkloads: ChartWorkload[] } {
  const app = buildPlatform(loadEnvironmentFile(path.join(configDir, `Pulumi.${env}.yaml`)));
  // Rendered first: the policies admit some workloads at synthesis (Flagger, on the paths of every Canary).
  const objects = renderCharts(app).flatMap((c) => c.objects);
  const chartWorkloads = app.node
    .findAll()
    .filter((c): c is ZeroTrustPolicy => c instanceof ZeroTrustPolicy)
    .flatMap((p) => p.chartWorkloads);
  return {
    objects,
    chartWorkloads: [...new Map(chartWorkloads.map((w) => [`${w.namespace}/${w.name}`, w])).values()],
  };
}

/** Options of `access check`. */
export interface AccessCheckOptions {
  readonly env: string;
  readonly configDir: string;
  /** `<namespace>/<app or service account>`; none for plain text. */
  readonly from?: string;
  /** `<namespace>/<app>`. */
  readonly to: string;
  readonly method: string;
  readonly path: string;
  /** `name=value` or `name: value`. */
  readonly header: string[];
  readonly jwtPrincipal?: string;
  readonly port?: string;
}

/**
 * `access check`: one request, explained.
 * @param chartWorkloads workloads of upstream charts the caller or destination may be (`environmentForAccess`)
 */
export function accessCheck(
  objects: readonly KubeObject[],
  opts: Omit<AccessCheckOptions, 'env' | 'configDir'>,
  chartWorkloads: readonly ChartWorkload[] = [],
): { decision: AccessDecision; text: string } {
  const workloads = workloadsOf(objects, chartWorkloads);
  const find = (ref: string) => {
    const m = /^([a-z0-9-]+)\/([a-z0-9.-]+)$/.exec(ref);
    if (!m) throw new AccessError(`'${ref}' is not <namespace>/<name>, e.g. demo/sleep`);
    return { namespace: m[1], name: m[2], workload: workloads.find((w) => w.namespace === m[1] && w.app === m[2]) };
  };
  const to = find(opts.to);
  if (!to.workload)
    throw new AccessError(`no app '${opts.to}' in this environment; apps: ${workloads.map((w) => `${w.namespace}/${w.app}`).join(', ')}`);
  const from = opts.from === undefined ? undefined : find(opts.from);
  const headers: Record<string, string> = {};
  for (const h of opts.header) {
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(h);
    if (!m) throw new AccessError(`header '${h}' is not name=value`);
    headers[m[1].toLowerCase()] = m[2];
  }
  const port = opts.port === undefined ? to.workload.port : Number(opts.port);
  const authorization = new AccessExplainer(objects).check({
    // A caller without a sidecar sends plain text: no principal, no namespace.
    source:
      from && from.workload?.inMesh !== false
        ? { namespace: from.namespace, serviceAccount: from.workload?.serviceAccount ?? from.name }
        : undefined,
    destination: { namespace: to.namespace, labels: to.workload.labels, port },
    method: opts.method.toUpperCase(),
    path: opts.path,
    host: serviceHost(to.name, to.namespace),
    headers,
    requestPrincipal: opts.jwtPrincipal,
  });
  // The NetworkPolicies act first, on the connection between the two pods: evaluated when the caller's pods are known.
  const network =
    from?.workload && port !== undefined
      ? new NetworkPolicyExplainer(objects).check({
          from: { namespace: from.namespace, labels: from.workload.labels },
          to: { namespace: to.namespace, labels: to.workload.labels },
          port,
        })
      : undefined;
  const decision = withNetworkPolicies(authorization, network);
  const caller = from
    ? `${from.namespace}/${from.name}${from.workload?.inMesh === false ? ' (no sidecar: plain text)' : ''}`
    : 'plain text';
  const lines = [
    `${decision.verdict.toUpperCase()}: ${caller} -> ${opts.to} ${opts.method.toUpperCase()} ${opts.path}`,
    `  decided by: ${decision.decidedBy ?? '(no policy)'}`,
    `  reason:     ${decision.reason}`,
  ];
  if (decision.message) lines.push(`  response:   403 ${decision.message}`);
  if (network) lines.push(`  network:    ${describeNetworkDecision(network)}`);
  return { decision, text: `${lines.join('\n')}\n` };
}
