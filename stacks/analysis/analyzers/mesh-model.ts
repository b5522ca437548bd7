import { CLUSTER_DOMAIN, serviceHost } from '../../../constructs/core/hosts';
import { KubeObject } from '../../../constructs/core/kube-object';
import { objectsOfKind, oncePerRun } from '../run-cache';

/** The cluster's DNS suffix of Service hosts. */
const CLUSTER_SUFFIX = `.svc.${CLUSTER_DOMAIN}`;

/**
 * A host as Istio resolves it from an object in `namespace`: a short name (`httpbin`) is a Service of that
 * namespace; a name with a dot is taken as written (`httpbin.org`, or `name.namespace`, which
 * {@link hostExists} also accepts as the Service's host, as cluster DNS resolves it).
 */
export function qualifyHost(host: string, namespace: string): string {
  return host.includes('.') || host.includes('*') ? host : serviceHost(host, namespace);
}

/** The namespace of a cluster-local host (`name.ns.svc.cluster.local`), else undefined. */
export function hostNamespace(fqdn: string): string | undefined {
  if (!fqdn.endsWith(CLUSTER_SUFFIX)) return undefined;
  return fqdn.slice(0, -CLUSTER_SUFFIX.length).split('.')[1];
}

/** Does a label selector (matchLabels) select a pod with `labels`: every selector label present with its value? */
export function selectorMatches(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Does a host pattern (`*.example.com` or exact) match a host? */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  return pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : pattern === host;
}

/** A pod template of the output: where it runs and its labels. */
export interface PodTemplate {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly owner: KubeObject;
}

/** The model of the output the analyzers share: what exists, indexed. */
export interface MeshModel {
  /** Hosts of Services, of Flagger's generated Services, and of ServiceEntries (patterns may be wildcards). */
  readonly hosts: readonly string[];
  /** Namespaces a Helm release installs into: what it creates there is not in the output, so it is not checked. */
  readonly chartNamespaces: ReadonlySet<string>;
  /** `namespace/name` of every Istio Gateway. */
  readonly gateways: ReadonlySet<string>;
  /** Pod templates: Deployments, StatefulSets, DaemonSets, and the primary copies Flagger makes of Canary targets. */
  readonly pods: readonly PodTemplate[];
  /** Hosts whose routing a Flagger Canary owns (its DestinationRules are generated). */
  readonly canaryHosts: ReadonlySet<string>;
}

const isIstio = (o: KubeObject, kind: string) => o.kind === kind && /^(networking|security)\.istio\.io\//.test(o.apiVersion);
export { isIstio };

/** The Istio objects (networking or security.istio.io) of one kind, in output order, from the run's index of kinds. */
export function istioObjects(objects: readonly KubeObject[], kind: string): readonly KubeObject[] {
  return oncePerRun(`istioObjects:${kind}`, objects, () => objectsOfKind(objects, kind).filter((o) => isIstio(o, kind)));
}

/** Builds the {@link MeshModel} of a list of objects (once per analysis run: every analyzer reads the same one). */
export function meshModel(objects: readonly KubeObject[]): MeshModel {
  return oncePerRun('meshModel', objects, () => buildMeshModel(objects));
}

function buildMeshModel(objects: readonly KubeObject[]): MeshModel {
  const hosts: string[] = [`kubernetes.default${CLUSTER_SUFFIX}`];
  const chartNamespaces = new Set<string>();
  const gateways = new Set<string>();
  const pods: PodTemplate[] = [];
  const canaryHosts = new Set<string>();
  for (const o of objects) {
    const ns = o.metadata.namespace ?? 'default';
    const spec = (o.spec ?? {}) as Record<string, any>;
    if (o.kind === 'Service' && o.apiVersion === 'v1') hosts.push(`${o.metadata.name}.${ns}${CLUSTER_SUFFIX}`);
    else if (isIstio(o, 'ServiceEntry')) hosts.push(...((spec.hosts as string[] | undefined) ?? []));
    else if (isIstio(o, 'Gateway')) gateways.add(`${ns}/${o.metadata.name}`);
    else if (o.kind === 'HelmRelease' && o.apiVersion.startsWith('helm.toolkit.fluxcd.io/'))
      chartNamespaces.add(spec.targetNamespace ?? ns);
    else if (o.kind === 'Canary' && o.apiVersion.startsWith('flagger.app/')) {
      const apex = spec.service?.name ?? spec.targetRef?.name;
      for (const name of [apex, `${apex}-primary`, `${apex}-canary`]) {
        hosts.push(`${name}.${ns}${CLUSTER_SUFFIX}`);
        canaryHosts.add(`${name}.${ns}${CLUSTER_SUFFIX}`);
      }
    } else if (['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind)) {
      const labels = (spec.template?.metadata?.labels ?? {}) as Record<string, string>;
      pods.push({ namespace: ns, labels, owner: o });
    }
  }
  // Flagger's primary copy of a Canary target carries the target's labels with `app: <name>-primary`.
  // (The first pod template of each namespace/owner name, as a search from the start of the list finds it.)
  const firstPod = new Map<string, PodTemplate>();
  const addPod = (p: PodTemplate) => {
    const key = `${p.namespace}/${p.owner.metadata.name}`;
    if (!firstPod.has(key)) firstPod.set(key, p);
  };
  pods.forEach(addPod);
  for (const c of objectsOfKind(objects, 'Canary').filter((o) => o.apiVersion.startsWith('flagger.app/'))) {
    const ns = c.metadata.namespace ?? 'default';
    const target = firstPod.get(`${ns}/${(c.spec as any)?.targetRef?.name}`);
    if (!target) continue;
    const primary = {
      namespace: ns,
      labels: { ...target.labels, app: `${target.labels.app ?? target.owner.metadata.name}-primary` },
      owner: c,
    };
    pods.push(primary);
    addPod(primary);
  }
  return { hosts, chartNamespaces, gateways, pods, canaryHosts };
}

// Indexes of a model, built on first use (a model is read, never changed): lookups stay linear at thousands of services.
const hostIndexes = new WeakMap<MeshModel, { readonly exact: ReadonlySet<string>; readonly patterns: readonly string[] }>();
const podIndexes = new WeakMap<MeshModel, ReadonlyMap<string, readonly PodTemplate[]>>();

/** Is a host known to exist, or is it in a namespace whose objects are not all in the output? */
export function hostExists(model: MeshModel, host: string): boolean {
  let index = hostIndexes.get(model);
  if (!index) {
    const isPattern = (h: string) => h === '*' || h.startsWith('*.');
    index = { exact: new Set(model.hosts.filter((h) => !isPattern(h))), patterns: model.hosts.filter(isPattern) };
    hostIndexes.set(model, index);
  }
  const { exact, patterns } = index;
  const candidates = host.split('.').length === 2 ? [host, `${host}${CLUSTER_SUFFIX}`] : [host];
  return candidates.some((c) => {
    const ns = hostNamespace(c);
    return (ns !== undefined && model.chartNamespaces.has(ns)) || exact.has(c) || patterns.some((h) => hostMatches(h, c));
  });
}

/** The pod templates of one namespace, in model order. */
export function podsIn(model: MeshModel, namespace: string): readonly PodTemplate[] {
  let index = podIndexes.get(model);
  if (!index) {
    const byNamespace = new Map<string, PodTemplate[]>();
    for (const p of model.pods) {
      const list = byNamespace.get(p.namespace);
      if (list) list.push(p);
      else byNamespace.set(p.namespace, [p]);
    }
    podIndexes.set(model, (index = byNamespace));
  }
  return index.get(namespace) ?? [];
}
