import { serviceHost, type ChartWorkload } from '../../../constructs';
import { KubeObject } from '../../engines/render';
import { AccessDecision, AccessExplainer, AccessRequest } from './evaluate';

/**
 * An app of an environment as the explainer sees it: found from its rendered Deployments, or a workload an
 * upstream chart deploys (Flagger, its load tester), as the constructs that install it describe it.
 */
export interface MeshWorkload {
  /** Its name: the `app` label of an app, the release of a chart's workload. */
  readonly app: string;
  readonly namespace: string;
  /** Its ServiceAccount (its identity as a caller). */
  readonly serviceAccount: string;
  /** The pod labels of its first version (what policies select). */
  readonly labels: Readonly<Record<string, string>>;
  /** Its first container port (the port called). */
  readonly port?: number;
  /** Whether its pods get a sidecar (`sidecar.istio.io/inject` not false); without one it calls in plain text. */
  readonly inMesh: boolean;
}

/** One cell of an access matrix. */
export interface AccessCell {
  readonly from: MeshWorkload;
  readonly to: MeshWorkload;
  readonly decision: AccessDecision;
}

/**
 * Every app of the rendered objects (Deployments with an `app` pod label), one entry per app and namespace,
 * then the chart workloads (which have no rendered Deployment): in the mesh when their namespace is
 * rendered with sidecar injection (`istio-injection: enabled` or an `istio.io/rev` label).
 */
export function workloadsOf(objects: readonly KubeObject[], chartWorkloads: readonly ChartWorkload[] = []): MeshWorkload[] {
  const found = new Map<string, MeshWorkload>();
  for (const o of objects) {
    if (o.kind !== 'Deployment') continue;
    const template = (o.spec as any)?.template;
    const labels: Record<string, string> = { ...(template?.metadata?.labels ?? {}) };
    const app = labels.app;
    const namespace = o.metadata.namespace ?? 'default';
    if (!app || found.has(`${namespace}/${app}`)) continue;
    const port = template?.spec?.containers?.[0]?.ports?.[0]?.containerPort;
    found.set(`${namespace}/${app}`, {
      app,
      namespace,
      labels,
      port,
      serviceAccount: template?.spec?.serviceAccountName ?? 'default',
      inMesh: labels['sidecar.istio.io/inject'] !== 'false',
    });
  }
  const labelsOf = (o: KubeObject) => (o.metadata.labels ?? {}) as Record<string, string>;
  const injected = new Set(
    objects
      .filter((o) => o.kind === 'Namespace' && (labelsOf(o)['istio-injection'] === 'enabled' || labelsOf(o)['istio.io/rev'] !== undefined))
      .map((o) => o.metadata.name),
  );
  for (const w of chartWorkloads) {
    if (found.has(`${w.namespace}/${w.name}`)) continue;
    found.set(`${w.namespace}/${w.name}`, {
      app: w.name,
      namespace: w.namespace,
      labels: { ...w.podLabels },
      port: w.port,
      serviceAccount: w.serviceAccount,
      inMesh: injected.has(w.namespace),
    });
  }
  return [...found.values()];
}

/** The request the matrix asks for each pair: GET / from the source's identity to the destination's first port. */
export function matrixRequest(from: MeshWorkload, to: MeshWorkload): AccessRequest {
  return {
    source: from.inMesh ? { namespace: from.namespace, serviceAccount: from.serviceAccount } : undefined,
    destination: { namespace: to.namespace, labels: to.labels, port: to.port },
    method: 'GET',
    path: '/',
    host: serviceHost(to.app, to.namespace),
  };
}

/** Every source app x every destination app (itself included) of an environment, for `GET /`. */
export function accessMatrix(objects: readonly KubeObject[]): AccessCell[] {
  const explainer = new AccessExplainer(objects);
  const workloads = workloadsOf(objects);
  return workloads.flatMap((from) => workloads.map((to) => ({ from, to, decision: explainer.check(matrixRequest(from, to)) })));
}

/** The allowed calls of a matrix as `<ns>/<app> -> <ns>/<app>` lines, sorted. */
export function allowedEdges(cells: readonly AccessCell[]): string[] {
  return cells
    .filter((c) => c.decision.allowed)
    .map((c) => `${c.from.namespace}/${c.from.app} -> ${c.to.namespace}/${c.to.app}`)
    .sort();
}

/** A text table: rows are callers, columns destinations, cells `allow` / `deny` / `ext`. */
export function formatMatrix(cells: readonly AccessCell[]): string {
  const names = [...new Set(cells.map((c) => `${c.to.namespace}/${c.to.app}`))];
  const cell = new Map(
    cells.map((c) => [
      `${c.from.namespace}/${c.from.app}|${c.to.namespace}/${c.to.app}`,
      c.decision.verdict === 'external' ? 'ext' : c.decision.verdict,
    ]),
  );
  const width = Math.max(9, ...names.map((n) => n.length));
  const pad = (s: string) => s.padEnd(width);
  const lines = [`${pad('from \\ to')}  ${names.map(pad).join('  ')}`.trimEnd()];
  for (const from of names) lines.push(`${pad(from)}  ${names.map((to) => pad(cell.get(`${from}|${to}`) ?? '')).join('  ')}`.trimEnd());
  return lines.join('\n');
}
