/** The cluster's DNS domain, the suffix of every fully qualified Service host. */
export const CLUSTER_DOMAIN = 'cluster.local';

/** The fully qualified host of a Service: `<name>.<namespace>.svc.cluster.local`. */
export function serviceHost(name: string, namespace: string): string {
  return `${name}.${namespace}.svc.${CLUSTER_DOMAIN}`;
}

/**
 * A host as Istio and cluster DNS resolve it from `namespace`, in full, so that one Service has one host
 * wherever it is written: `httpbin` (a Service of `namespace`), `httpbin.demo` and `httpbin.demo.svc` all
 * become `httpbin.demo.svc.cluster.local`. Wildcards and hosts outside the cluster are returned unchanged.
 * @param namespaces the namespaces of the cluster: a two-label host (`name.namespace`) is a Service only
 *   when its second label is one of them, so `httpbin.org` stays an external host; without them, every
 *   two-label host is taken as `name.namespace`
 */
export function qualifiedServiceHost(host: string, namespace: string, namespaces?: ReadonlySet<string>): string {
  if (host.startsWith('*')) return host;
  const labels = host.split('.');
  if (labels.length === 1) return serviceHost(host, namespace);
  if (labels.length === 2 && (!namespaces || namespaces.has(labels[1]))) return serviceHost(labels[0], labels[1]);
  if (labels.length === 3 && labels[2] === 'svc') return serviceHost(labels[0], labels[1]);
  return host;
}

/**
 * A host outside the cluster as a ServiceEntry names it: a fully qualified DNS name of two or more labels
 * (`api.github.com`), lowercase, no wildcard, scheme, port or path.
 */
export const EXTERNAL_HOST = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;
