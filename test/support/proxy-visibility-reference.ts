import { IConstruct } from 'constructs';
import { MeshApp } from '../../constructs';
import { serviceHost } from '../../constructs/core/hosts';
import { KubeObject } from '../../constructs/core/kube-object';
import { externalEgressHosts } from '../../constructs/security/external-egress';
import { ProxyVisibility } from '../../stacks/inspection/proxy-visibility';

type Json = Record<string, any>;

/**
 * The first implementation of `proxyVisibility`, kept as the reference its indexed one must equal: it tests every
 * registry entry against every egress host of every Sidecar, and looks each Sidecar's app up among all apps.
 */
export function referenceProxyVisibility(tree: IConstruct, objects: readonly KubeObject[], tracingCollector?: string): ProxyVisibility {
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

function imports(pattern: string, own: string, entry: { namespace: string; host: string }): boolean {
  const [ns, host] = pattern.split('/', 2);
  const namespaceMatches = ns === '*' || (ns === '.' ? entry.namespace === own : ns === entry.namespace);
  if (!namespaceMatches) return false;
  if (host === '*') return true;
  if (host.startsWith('*.')) return entry.host.endsWith(host.slice(1));
  return host === entry.host;
}
