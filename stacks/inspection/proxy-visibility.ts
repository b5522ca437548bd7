import { IConstruct } from 'constructs';
import { MeshApp } from '../../constructs';
import { serviceHost } from '../../constructs/core/hosts';
import { KubeObject } from '../../constructs/core/kube-object';
import { externalEgressHosts } from '../../constructs/security/external-egress';

/** How much of the service registry the proxies of an environment are configured with. */
export interface ProxyVisibility {
  /** App proxies with a scoped Sidecar (one per MeshApp workload, its Flagger primary included). */
  readonly proxies: number;
  /**
   * Entries of the service registry: Services and ServiceEntry hosts of the output, and the Services the
   * proxies need that charts or controllers create (the tracing collector, the apps' Services under Flagger).
   */
  readonly services: number;
  /** Visible-service pairs as rendered: per proxy, the registry entries its Sidecar's egress hosts import. */
  readonly scoped: number;
  /** Visible-service pairs without Sidecars: every proxy sees every entry. */
  readonly unscoped: number;
  /**
   * The physical limit: per proxy, the Services of its app's declared calls, the platform hosts every proxy
   * needs (the tracing collector), and for each external host its app declares, that ServiceEntry host and the
   * egress gateway its mesh route uses.
   */
  readonly limit: number;
  /** The platform hosts every proxy's limit counts, `<namespace>/<host>`. */
  readonly platformHosts: readonly string[];
  /** Per external host (of a ServiceEntry), what the limit of a proxy whose app declares it counts, `<namespace>/<host>`. */
  readonly externalHosts: ReadonlyMap<string, readonly string[]>;
}

type Json = Record<string, any>;

/**
 * The visible-service pairs of an environment's proxies (scoped, unscoped, and the limit), from the construct
 * tree (the apps' declared calls) and its rendered objects.
 *
 * @param tracingCollector the tracing collector's Service host (`<name>.<namespace>.svc.cluster.local`), if any
 */
export function proxyVisibility(tree: IConstruct, objects: readonly KubeObject[], tracingCollector?: string): ProxyVisibility {
  const registry: { namespace: string; host: string }[] = [];
  const platform = new Set<string>();
  if (tracingCollector) platform.add(`${tracingCollector.split('.')[1]}/${tracingCollector}`);
  const external = externalEgressHosts(objects);
  for (const o of objects as readonly Json[]) {
    const namespace: string = o.metadata?.namespace ?? 'default';
    if (o.apiVersion === 'v1' && o.kind === 'Service') {
      registry.push({ namespace, host: serviceHost(o.metadata.name, namespace) });
    } else if (o.kind === 'ServiceEntry' && String(o.apiVersion).startsWith('networking.istio.io/')) {
      for (const host of (o.spec?.hosts ?? []) as string[]) registry.push({ namespace, host });
    }
  }
  const apps = tree.node.findAll().filter((c): c is MeshApp => c instanceof MeshApp);
  // Services installed by charts (the collector) or by controllers (Flagger's) exist in the cluster, not in the output.
  const known = new Set(registry.map((e) => `${e.namespace}/${e.host}`));
  const extra = [
    ...platform,
    ...[...external.values()].flat(),
    ...apps.flatMap((a) => a.dependencies.map((d) => `${d.namespace}/${d.host}`)),
  ];
  for (const key of extra) {
    if (known.has(key)) continue;
    known.add(key);
    const [namespace, host] = key.split('/', 2);
    registry.push({ namespace, host });
  }
  const sidecars = (objects as readonly Json[]).filter(
    (o) => o.kind === 'Sidecar' && String(o.apiVersion).startsWith('networking.istio.io/') && o.spec?.workloadSelector,
  );
  let scoped = 0;
  let limit = 0;
  let proxies = 0;
  for (const sidecar of sidecars) {
    const namespace: string = sidecar.metadata.namespace ?? 'default';
    // A canaried app's primary (`<app>-primary`, Flagger's copy) makes the app's calls. Sidecars of chart
    // workloads (the load tester's) have no declared calls to measure against: not counted.
    const label = String(sidecar.spec.workloadSelector.labels?.app ?? '');
    const app = apps.find((a) => a.namespace === namespace && (a.name === label || `${a.name}-primary` === label));
    if (!app) continue;
    proxies++;
    const hosts = ((sidecar.spec.egress ?? []) as Json[]).flatMap((e) => (e.hosts ?? []) as string[]);
    scoped += registry.filter((entry) => hosts.some((h) => imports(h, namespace, entry))).length;
    limit += new Set([
      ...app.dependencies.map((d) => `${d.namespace}/${d.host}`),
      ...platform,
      ...app.externalHosts.flatMap((h) => external.get(h) ?? []),
    ]).size;
  }
  return {
    proxies,
    services: registry.length,
    scoped,
    unscoped: proxies * registry.length,
    limit,
    platformHosts: [...platform],
    externalHosts: external,
  };
}

/** Whether a Sidecar egress host (`<namespace>/<host>`, `./`, `*` and `*.` wildcards) of a Sidecar in `own` imports `entry`. */
function imports(pattern: string, own: string, entry: { namespace: string; host: string }): boolean {
  const [ns, host] = pattern.split('/', 2);
  const namespaceMatches = ns === '*' || (ns === '.' ? entry.namespace === own : ns === entry.namespace);
  if (!namespaceMatches) return false;
  if (host === '*') return true;
  if (host.startsWith('*.')) return entry.host.endsWith(host.slice(1));
  return host === entry.host;
}
