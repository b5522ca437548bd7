import { KubeObject } from '../../../constructs/core/kube-object';
import { Analyzer, objectName, RawFinding } from '../analyzer';
import { hostExists, isIstio, meshModel, qualifyHost } from './mesh-model';

interface Destination {
  readonly host: string;
  readonly subset?: string;
}

/** Every destination of a VirtualService's http, tcp and tls routes, with where it is. */
function destinations(vs: KubeObject): { field: string; destination: Destination }[] {
  const spec = (vs.spec ?? {}) as Record<string, { route?: { destination?: Destination }[]; mirror?: Destination }[] | undefined>;
  const out: { field: string; destination: Destination }[] = [];
  for (const kind of ['http', 'tcp', 'tls']) {
    (spec[kind] ?? []).forEach((rule, i) => {
      (rule.route ?? []).forEach((r, j) => {
        if (r.destination?.host) out.push({ field: `spec.${kind}[${i}].route[${j}].destination`, destination: r.destination });
      });
      if (rule.mirror?.host) out.push({ field: `spec.${kind}[${i}].mirror`, destination: rule.mirror });
    });
  }
  return out;
}

/** The gateways a VirtualService is bound to (`mesh` when it names none). */
function gatewaysOf(vs: KubeObject): string[] {
  const gateways = (vs.spec as { gateways?: string[] } | undefined)?.gateways;
  return gateways && gateways.length > 0 ? gateways : ['mesh'];
}

/** Routing rules over the whole output: what routes refer to exists, one VirtualService per host. */
export const ROUTING_ANALYZERS: readonly Analyzer[] = [
  {
    code: 'IST0101',
    name: 'ReferencedResourceNotFound',
    severity: 'error',
    description:
      'every host, subset and gateway a VirtualService or DestinationRule refers to exists (a Service, a Canary, a ServiceEntry, a Gateway, a subset of a DestinationRule)',
    analyze: ({ objects }) => {
      const model = meshModel(objects);
      const findings: RawFinding[] = [];
      const rules = objects.filter((o) => isIstio(o, 'DestinationRule'));
      for (const vs of objects.filter((o) => isIstio(o, 'VirtualService'))) {
        const ns = vs.metadata.namespace ?? 'default';
        for (const { field, destination } of destinations(vs)) {
          const host = qualifyHost(destination.host, ns);
          if (!hostExists(model, host)) {
            findings.push({
              target: vs,
              message: `${objectName(vs)}: ${field}.host '${destination.host}' (${host}) is no Service, Canary or ServiceEntry host of this environment, so requests routed there fail with 503`,
              fix: `route to an existing Service (name, name.namespace or its full host), or declare the external host with a ServiceEntry (ExternalService)`,
            });
            continue;
          }
          if (!destination.subset || model.canaryHosts.has(host)) continue;
          const subsets = rules
            .filter((dr) => qualifyHost((dr.spec as { host?: string }).host ?? '', dr.metadata.namespace ?? 'default') === host)
            .flatMap((dr) => ((dr.spec as { subsets?: { name: string }[] }).subsets ?? []).map((s) => s.name));
          if (!subsets.includes(destination.subset) && !model.chartNamespaces.has(ns)) {
            findings.push({
              target: vs,
              message: `${objectName(vs)}: ${field}.subset '${destination.subset}' of host ${host} is defined by no DestinationRule (subsets: ${subsets.join(', ') || 'none'}), so requests routed there fail with 503`,
              fix: `add the subset to the host's DestinationRule, or route to one of its subsets`,
            });
          }
        }
        (vs.spec as { gateways?: string[] } | undefined)?.gateways?.forEach((g, i) => {
          if (g === 'mesh') return;
          const [gwNs, gwName] = g.includes('/') ? g.split('/') : [ns, g];
          if (model.gateways.has(`${gwNs}/${gwName}`)) return;
          findings.push({
            target: vs,
            message: `${objectName(vs)}: spec.gateways[${i}] '${g}' names no Gateway of this environment (gateways: ${[...model.gateways].join(', ') || 'none'}), so the route is served by no gateway`,
            fix: `name an existing Gateway as <namespace>/<name> (e.g. with MeshGateway), or 'mesh' for in-mesh callers`,
          });
        });
      }
      for (const dr of rules) {
        const host = (dr.spec as { host?: string }).host;
        if (!host) continue;
        const fqdn = qualifyHost(host, dr.metadata.namespace ?? 'default');
        if (hostExists(model, fqdn)) continue;
        findings.push({
          target: dr,
          message: `${objectName(dr)}: spec.host '${host}' (${fqdn}) is no Service, Canary or ServiceEntry host of this environment, so its traffic policy applies to nothing`,
          fix: `name an existing Service or ServiceEntry host, or remove the DestinationRule`,
        });
      }
      return findings;
    },
  },
  {
    code: 'IST0109',
    name: 'ConflictingMeshGatewayVirtualServiceHosts',
    severity: 'error',
    description: 'one VirtualService per host for in-mesh callers (the mesh gateway): Istio keeps one of two and drops the other',
    analyze: ({ objects }) => {
      const owners = new Map<string, KubeObject[]>();
      for (const vs of objects.filter((o) => isIstio(o, 'VirtualService') && gatewaysOf(o).includes('mesh'))) {
        const ns = vs.metadata.namespace ?? 'default';
        for (const h of new Set(((vs.spec as { hosts?: string[] }).hosts ?? []).map((x) => qualifyHost(x, ns)))) {
          owners.set(h, [...(owners.get(h) ?? []), vs]);
        }
      }
      return [...owners]
        .filter(([, list]) => list.length > 1)
        .flatMap(([host, list]) =>
          list.slice(1).map((vs) => ({
            target: vs,
            message: `${objectName(vs)}: host ${host} is also routed for the mesh gateway by ${list
              .filter((o) => o !== vs)
              .map(objectName)
              .join(', ')}; Istio applies only one VirtualService per host to in-mesh traffic`,
            fix: `merge the routes into one VirtualService for the host (e.g. one ResilientRoute), or bind one of them to a gateway only`,
          })),
        );
    },
  },
  {
    code: 'IST0111',
    name: 'MultipleSidecarsWithoutWorkloadSelectors',
    severity: 'error',
    description: 'at most one Sidecar without a workloadSelector per namespace: with several, which one applies is undefined',
    analyze: ({ objects }) => {
      const byNamespace = new Map<string, KubeObject[]>();
      for (const s of objects.filter((o) => isIstio(o, 'Sidecar') && !(o.spec as { workloadSelector?: unknown })?.workloadSelector)) {
        const ns = s.metadata.namespace ?? 'default';
        byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), s]);
      }
      return [...byNamespace]
        .filter(([, list]) => list.length > 1)
        .flatMap(([ns, list]) =>
          list.map((s) => ({
            target: s,
            message: `${objectName(s)}: namespace ${ns} has ${list.length} Sidecars without a workloadSelector (${list.map((o) => o.metadata.name).join(', ')}); Istio applies an undefined one of them`,
            fix: `keep one namespace-wide Sidecar and give the others a spec.workloadSelector`,
          })),
        );
    },
  },
];
