import { serviceHost } from '../../../constructs/core/hosts';
import { KubeObject } from '../../../constructs/core/kube-object';
import { ISTIO_SYSTEM_NAMESPACE } from '../../../constructs/core/namespaces';
import { Analyzer, objectName, RawFinding } from '../analyzer';
import { hostExists, hostMatches, hostNamespace, istioObjects, meshModel, podsIn, qualifyHost, selectorMatches } from './mesh-model';

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
      const rules = istioObjects(objects, 'DestinationRule');
      // The subsets of each host, from its DestinationRules in output order.
      const subsetsOf = new Map<string, string[]>();
      for (const dr of rules) {
        const drHost = qualifyHost((dr.spec as { host?: string }).host ?? '', dr.metadata.namespace ?? 'default');
        const names = ((dr.spec as { subsets?: { name: string }[] }).subsets ?? []).map((s) => s.name);
        subsetsOf.set(drHost, [...(subsetsOf.get(drHost) ?? []), ...names]);
      }
      for (const vs of istioObjects(objects, 'VirtualService')) {
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
          const subsets = subsetsOf.get(host) ?? [];
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
      for (const vs of istioObjects(objects, 'VirtualService').filter((o) => gatewaysOf(o).includes('mesh'))) {
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
      for (const s of istioObjects(objects, 'Sidecar').filter((o) => !(o.spec as { workloadSelector?: unknown })?.workloadSelector)) {
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
  {
    code: 'IST0132',
    name: 'VirtualServiceHostNotFoundInGateway',
    severity: 'error',
    description:
      "every host of a VirtualService bound to a Gateway is served by one of that Gateway's servers (else the gateway never routes it)",
    analyze: ({ objects }) => {
      const gateways = new Map(istioObjects(objects, 'Gateway').map((g) => [`${g.metadata.namespace ?? 'default'}/${g.metadata.name}`, g]));
      const findings: RawFinding[] = [];
      for (const vs of istioObjects(objects, 'VirtualService')) {
        const ns = vs.metadata.namespace ?? 'default';
        for (const ref of gatewaysOf(vs).filter((g) => g !== 'mesh')) {
          const gw = gateways.get(ref.includes('/') ? ref : `${ns}/${ref}`);
          if (!gw) continue; // IST0101 reports it
          const served = ((gw.spec as { servers?: { hosts?: string[] }[] }).servers ?? []).flatMap((s) => s.hosts ?? []);
          for (const host of (vs.spec as { hosts?: string[] }).hosts ?? []) {
            const gwNs = gw.metadata.namespace ?? 'default';
            // A server host is `<namespace>/<dnsName>`: `*` any namespace, `.` the Gateway's; no namespace is `*`.
            const ok = served.some((h) => {
              const [hostNs, pattern] = h.includes('/') ? h.split('/') : ['*', h];
              const nsOk = hostNs === '*' || (hostNs === '.' ? ns === gwNs : hostNs === ns);
              return nsOk && hostMatches(pattern, host);
            });
            if (ok) continue;
            findings.push({
              target: vs,
              message: `${objectName(vs)}: host '${host}' is served by no server of Gateway ${ref} (its hosts: ${served.join(', ') || 'none'}), so the gateway never routes it`,
              fix: `add the host to the Gateway's servers (e.g. mesh:ingress.hosts), or bind the VirtualService to a Gateway that serves it`,
            });
          }
        }
      }
      return findings;
    },
  },
  {
    code: 'MESH0008',
    name: 'JwtClaimRoutingWithoutRequestAuthentication',
    severity: 'error',
    description:
      'routing on @request.auth.claims needs a RequestAuthentication where the route is applied (else the claims are never set and the match never holds)',
    analyze: ({ objects }) => {
      const authNamespaces = new Set(istioObjects(objects, 'RequestAuthentication').map((o) => o.metadata.namespace ?? 'default'));
      const findings: RawFinding[] = [];
      for (const vs of istioObjects(objects, 'VirtualService')) {
        const ns = vs.metadata.namespace ?? 'default';
        const claims = (
          (vs.spec as { http?: { match?: { headers?: Record<string, unknown>; withoutHeaders?: Record<string, unknown> }[] }[] }).http ?? []
        )
          .flatMap((rule) => rule.match ?? [])
          .flatMap((m) => [...Object.keys(m.headers ?? {}), ...Object.keys(m.withoutHeaders ?? {})])
          .filter((h) => h.startsWith('@request.auth.claims'));
        if (claims.length === 0) continue;
        const where = [
          ns,
          ISTIO_SYSTEM_NAMESPACE,
          ...gatewaysOf(vs)
            .filter((g) => g.includes('/'))
            .map((g) => g.split('/')[0]),
        ];
        if (where.some((n) => authNamespaces.has(n))) continue;
        findings.push({
          target: vs,
          message: `${objectName(vs)}: routes on ${[...new Set(claims)].join(', ')}, but no RequestAuthentication validates a JWT in ${[...new Set(where)].join(', ')}, so the claims are never set and the match never holds`,
          fix: `add a RequestAuthentication (issuer, jwksUri) for the workloads or gateway the route applies to, or route on a plain header`,
        });
      }
      return findings;
    },
  },
  {
    code: 'MESH0009',
    name: 'SubsetSelectsNoPods',
    severity: 'warning',
    description: "a DestinationRule subset's labels match some pod of its host's Service (else traffic to the subset finds no endpoint)",
    analyze: ({ objects }) => {
      const model = meshModel(objects);
      const services = new Map(
        objects
          .filter((o) => o.kind === 'Service' && o.apiVersion === 'v1')
          .map((o) => [serviceHost(o.metadata.name, o.metadata.namespace ?? 'default'), o]),
      );
      const findings: RawFinding[] = [];
      for (const dr of istioObjects(objects, 'DestinationRule')) {
        const spec = dr.spec as { host?: string; subsets?: { name: string; labels?: Record<string, string> }[] };
        const host = qualifyHost(spec.host ?? '', dr.metadata.namespace ?? 'default');
        const [name, namespace, ...rest] = host.split('.');
        const fqdn = namespace !== undefined && rest.length === 0 ? serviceHost(name, namespace) : host;
        const svc = services.get(fqdn);
        const ns = hostNamespace(fqdn);
        if (!svc || !ns || model.chartNamespaces.has(ns)) continue;
        const selector = ((svc.spec as { selector?: Record<string, string> }).selector ?? {}) as Record<string, string>;
        for (const subset of spec.subsets ?? []) {
          const wanted = { ...selector, ...(subset.labels ?? {}) };
          if (podsIn(model, ns).some((p) => selectorMatches(wanted, p.labels))) continue;
          findings.push({
            target: dr,
            message: `${objectName(dr)}: subset '${subset.name}' (labels ${JSON.stringify(subset.labels ?? {})}) selects no pod of Service ${fqdn}, so traffic routed to it finds no endpoint`,
            fix: `give the subset the labels of a version's pod template (e.g. version: v1), or deploy that version`,
          });
        }
      }
      return findings;
    },
  },
];
