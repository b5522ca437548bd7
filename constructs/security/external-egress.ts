import { CLUSTER_DOMAIN } from '../core/hosts';

/** A rendered object, as far as external egress is concerned. */
interface EgressObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly namespace?: string };
  readonly spec?: unknown;
}

/**
 * Per external host (a host of a ServiceEntry of the mesh, `api.github.com`), the Sidecar egress hosts
 * (`<namespace>/<host>`) a proxy must import to call it: the ServiceEntry's own, and, when a VirtualService
 * bound to `mesh` routes the host (the egress gateway pattern), that VirtualService's host and the cluster
 * Services it sends the traffic to (the egress gateway). A proxy importing none of them has no route to the
 * host: under `REGISTRY_ONLY` the call fails.
 *
 * Linear in the objects given; objects other than Istio ServiceEntries and VirtualServices are ignored.
 */
export function externalEgressHosts(objects: Iterable<EgressObject>): Map<string, readonly string[]> {
  const entries = new Map<string, Set<string>>();
  const meshRoutes: { namespace: string; hosts: string[]; destinations: string[] }[] = [];
  for (const object of objects) {
    const o = object as EgressObject & { spec?: Record<string, any> };
    if (!o.apiVersion.startsWith('networking.istio.io/')) continue;
    const namespace = o.metadata.namespace ?? 'default';
    const hosts = ((o.spec?.hosts ?? []) as unknown[]).map(String);
    if (o.kind === 'ServiceEntry' && o.spec?.location !== 'MESH_INTERNAL') {
      for (const host of hosts) {
        const set = entries.get(host) ?? new Set<string>();
        set.add(`${namespace}/${host}`);
        entries.set(host, set);
      }
    } else if (o.kind === 'VirtualService' && ((o.spec?.gateways ?? []) as string[]).includes('mesh')) {
      const routes = ['http', 'tcp', 'tls'].flatMap((k) => (o.spec?.[k] ?? []) as any[]);
      // Only the routes the sidecars use (no match, or a match that includes the mesh gateway).
      const fromMesh = routes.filter((r) => {
        const matches = (r.match ?? []) as { gateways?: string[] }[];
        return matches.length === 0 || matches.some((m) => !m.gateways || m.gateways.includes('mesh'));
      });
      const destinations = fromMesh
        .flatMap((r) => (r.route ?? []) as any[])
        .map((d) => String(d.destination?.host ?? ''))
        .filter((h) => h.endsWith(`.svc.${CLUSTER_DOMAIN}`));
      meshRoutes.push({ namespace, hosts, destinations });
    }
  }
  for (const route of meshRoutes) {
    for (const host of route.hosts) {
      const set = entries.get(host);
      if (!set) continue;
      set.add(`${route.namespace}/${host}`);
      for (const d of route.destinations) set.add(`${d.split('.')[1]}/${d}`);
    }
  }
  return new Map([...entries].map(([host, set]) => [host, [...set]]));
}
