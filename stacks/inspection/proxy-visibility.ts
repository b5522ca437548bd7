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
  // A proxy's app: the first MeshApp (in tree order) whose name, or its Flagger primary's, is the Sidecar's label.
  const appOf = new Map<string, MeshApp>();
  for (const a of apps)
    for (const label of [a.name, `${a.name}-primary`]) if (!appOf.has(`${a.namespace}/${label}`)) appOf.set(`${a.namespace}/${label}`, a);
  const index = indexRegistry(registry);
  let scoped = 0;
  let limit = 0;
  let proxies = 0;
  for (const sidecar of sidecars) {
    const namespace: string = sidecar.metadata.namespace ?? 'default';
    // A canaried app's primary (`<app>-primary`, Flagger's copy) makes the app's calls. Sidecars of chart
    // workloads (the load tester's) have no declared calls to measure against: not counted.
    const label = String(sidecar.spec.workloadSelector.labels?.app ?? '');
    const app = appOf.get(`${namespace}/${label}`);
    if (!app) continue;
    proxies++;
    const hosts = ((sidecar.spec.egress ?? []) as Json[]).flatMap((e) => (e.hosts ?? []) as string[]);
    scoped += index.countImported(hosts, namespace);
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

type RegistryEntry = { readonly namespace: string; readonly host: string };

/**
 * The registry indexed for Sidecar egress hosts: entries by namespace and host (an exact `<namespace>/<host>` is one
 * lookup), by namespace (`<namespace>/*` reads that namespace's entries) and by host (an exact host under the `*`
 * namespace); only patterns with a `*.` host read every entry of their namespaces. Each candidate is still tested with
 * {@link imports}, so the counts are those of testing every entry against every pattern, which was quadratic in the size
 * of the mesh (about 15 s at 4,000 services).
 */
function indexRegistry(registry: readonly RegistryEntry[]) {
  const byNamespace = new Map<string, number[]>();
  const byNamespaceHost = new Map<string, number[]>();
  const byHost = new Map<string, number[]>();
  const add = (map: Map<string, number[]>, key: string, i: number) => {
    const list = map.get(key);
    if (list) list.push(i);
    else map.set(key, [i]);
  };
  registry.forEach((e, i) => {
    add(byNamespace, e.namespace, i);
    add(byNamespaceHost, `${e.namespace}/${e.host}`, i);
    add(byHost, e.host, i);
  });
  const all = registry.map((_, i) => i);
  // Entries counted for the current Sidecar: an entry several patterns import counts once.
  const seen = new Uint32Array(registry.length);
  let stamp = 0;
  return {
    /** How many entries the egress `hosts` of a Sidecar in namespace `own` import. */
    countImported(hosts: readonly string[], own: string): number {
      stamp++;
      let count = 0;
      for (const pattern of hosts) {
        const [ns, host] = pattern.split('/', 2);
        const namespace = ns === '.' ? own : ns;
        let candidates: readonly number[];
        if (host === undefined || host === '*' || host.startsWith('*.')) candidates = (ns === '*' ? all : byNamespace.get(namespace)) ?? [];
        else candidates = (ns === '*' ? byHost.get(host) : byNamespaceHost.get(`${namespace}/${host}`)) ?? [];
        for (const i of candidates) {
          if (seen[i] === stamp || !imports(pattern, own, registry[i])) continue;
          seen[i] = stamp;
          count++;
        }
      }
      return count;
    },
  };
}
