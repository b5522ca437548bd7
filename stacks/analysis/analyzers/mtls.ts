import { serviceHost } from '../../../constructs/core/hosts';
import { KubeObject } from '../../../constructs/core/kube-object';
import { ISTIO_SYSTEM_NAMESPACE } from '../../../constructs/platform/istio-release';
import { objectsOfKind } from '../run-cache';
import { Analyzer, objectName, RawFinding } from '../analyzer';
import { hostNamespace, istioObjects, meshModel, MeshModel, PodTemplate, qualifyHost, selectorMatches } from './mesh-model';

type Labels = Readonly<Record<string, string>>;

interface PeerAuthenticationSpec {
  readonly selector?: { readonly matchLabels?: Labels };
  readonly mtls?: { readonly mode?: string };
  readonly portLevelMtls?: Readonly<Record<string, { readonly mode?: string }>>;
}

interface TlsPolicy {
  readonly tls?: { readonly mode?: string };
  readonly portLevelSettings?: readonly { readonly port?: { readonly number?: number }; readonly tls?: { readonly mode?: string } }[];
}

interface ServicePort {
  readonly port: number;
  readonly targetPort?: number | string;
}

/** The mTLS mode a workload's sidecar accepts on a port, and the PeerAuthentication that decides it. */
interface PeerMode {
  readonly mode: string;
  readonly by: string;
}

const setMode = (mode: string | undefined) => (mode && mode !== 'UNSET' ? mode : undefined);

/** The PeerAuthentications of the output: mesh-wide (root namespace), per namespace, per workload. */
function peerAuthentications(objects: readonly KubeObject[]) {
  const all = istioObjects(objects, 'PeerAuthentication');
  const selectorOf = (o: KubeObject) => (o.spec as PeerAuthenticationSpec | undefined)?.selector?.matchLabels;
  const hasSelector = (o: KubeObject) => Object.keys(selectorOf(o) ?? {}).length > 0;
  return {
    root: all.find((o) => (o.metadata.namespace ?? 'default') === ISTIO_SYSTEM_NAMESPACE && !hasSelector(o)),
    namespaceWide: new Map(all.filter((o) => !hasSelector(o)).map((o) => [o.metadata.namespace ?? 'default', o])),
    /** Workload PeerAuthentications (with a selector) by namespace. */
    workload: all.filter(hasSelector).reduce((m, o) => {
      const ns = o.metadata.namespace ?? 'default';
      return m.set(ns, [...(m.get(ns) ?? []), o]);
    }, new Map<string, KubeObject[]>()),
    selectorOf,
  };
}

/**
 * The mode the sidecar of a pod accepts on a container port: the workload's PeerAuthentication (its port-level
 * mode first), else its namespace's, else the mesh-wide one, else PERMISSIVE (Istio's default). UNSET inherits.
 */
function peerMode(pa: ReturnType<typeof peerAuthentications>, namespace: string, labels: Labels, port: number | undefined): PeerMode {
  const spec = (o: KubeObject) => (o.spec ?? {}) as PeerAuthenticationSpec;
  const workload = (pa.workload.get(namespace) ?? []).find((o) => selectorMatches(pa.selectorOf(o)!, labels));
  const portMode = workload && port !== undefined ? setMode(spec(workload).portLevelMtls?.[String(port)]?.mode) : undefined;
  if (portMode) return { mode: portMode, by: `${objectName(workload!)} (port ${port})` };
  for (const o of [workload, pa.namespaceWide.get(namespace), pa.root]) {
    const mode = o && setMode(spec(o).mtls?.mode);
    if (mode) return { mode, by: objectName(o!) };
  }
  return { mode: 'PERMISSIVE', by: "Istio's default" };
}

/**
 * Does a pod run Istio's sidecar, the only thing a PeerAuthentication configures? Its `sidecar.istio.io/inject` label
 * decides, else its namespace's injection label (`istio-injection: enabled` or `istio.io/rev`). A namespace the output
 * does not declare is not judged: whether it is injected is unknown.
 */
function sidecarOf(objects: readonly KubeObject[]): (namespace: string, labels: Labels) => boolean {
  const injected = new Set(
    objects
      .filter((o) => o.kind === 'Namespace' && o.apiVersion === 'v1')
      .filter((o) => {
        const labels = (o.metadata.labels ?? {}) as Labels;
        return labels['istio-injection'] === 'enabled' || (labels['istio-injection'] !== 'disabled' && !!labels['istio.io/rev']);
      })
      .map((o) => o.metadata.name),
  );
  return (namespace, labels) =>
    labels['sidecar.istio.io/inject'] === 'true' || (labels['sidecar.istio.io/inject'] !== 'false' && injected.has(namespace));
}

/** Does a spec set a TLS mode anywhere (a traffic policy, a subset's, a port's)? Most set none: nothing to judge. */
function setsTls(spec: unknown): boolean {
  if (!spec || typeof spec !== 'object') return false;
  if (Array.isArray(spec)) return spec.some(setsTls);
  return Object.entries(spec).some(([k, v]) => (k === 'tls' && !!(v as { mode?: string } | undefined)?.mode) || setsTls(v));
}

/** Does a client TLS mode fail against what the server's sidecar accepts? */
function conflict(clientMode: string, peer: string): boolean {
  return (peer === 'STRICT' && clientMode !== 'ISTIO_MUTUAL') || (peer === 'DISABLE' && clientMode !== 'DISABLE');
}

/** The container port a Service port reaches on a pod: a numeric targetPort, a named one resolved on the pod's containers. */
function containerPort(p: ServicePort, pod: PodTemplate): number | undefined {
  if (p.targetPort === undefined) return p.port;
  if (typeof p.targetPort === 'number') return p.targetPort;
  if (/^\d+$/.test(p.targetPort)) return Number(p.targetPort);
  const containers = ((pod.owner.spec as any)?.template?.spec?.containers ?? []) as {
    ports?: { name?: string; containerPort: number }[];
  }[];
  return containers.flatMap((c) => c.ports ?? []).find((cp) => cp.name === p.targetPort)?.containerPort;
}

/** What one TLS setting reaches: the Service ports it applies to and the pods behind them. */
interface TlsTarget {
  /** The field that sets the mode, e.g. `spec.subsets[0].trafficPolicy.tls.mode`. */
  readonly field: string;
  readonly mode: string;
  readonly ports: readonly ServicePort[];
  readonly pods: readonly PodTemplate[];
}

/** The effective TLS mode of every (subset, Service port) of a traffic policy tree, with the field that set it. */
function tlsTargets(
  spec: { trafficPolicy?: TlsPolicy; subsets?: readonly { name?: string; labels?: Labels; trafficPolicy?: TlsPolicy }[] },
  ports: readonly ServicePort[],
  pods: readonly PodTemplate[],
  path: string,
): TlsTarget[] {
  const modeFor = (tp: TlsPolicy | undefined, tpPath: string, port: number) => {
    const i = (tp?.portLevelSettings ?? []).findIndex((s) => s.port?.number === port && s.tls?.mode);
    if (i >= 0) return { field: `${tpPath}.portLevelSettings[${i}].tls.mode`, mode: tp!.portLevelSettings![i].tls!.mode! };
    return tp?.tls?.mode ? { field: `${tpPath}.tls.mode`, mode: tp.tls.mode } : undefined;
  };
  const out: TlsTarget[] = [];
  const scopes = [
    { tp: undefined as TlsPolicy | undefined, tpPath: '', pods },
    ...(spec.subsets ?? []).map((s, i) => ({
      tp: s.trafficPolicy,
      tpPath: `${path}.subsets[${i}].trafficPolicy`,
      pods: pods.filter((p) => selectorMatches(s.labels ?? {}, p.labels)),
    })),
  ];
  for (const scope of scopes) {
    for (const p of ports) {
      const set = (scope.tp && modeFor(scope.tp, scope.tpPath, p.port)) || modeFor(spec.trafficPolicy, `${path}.trafficPolicy`, p.port);
      // A subset that sets nothing itself is judged with the whole Service (its pods are among them).
      if (!set || (scope.tpPath && set.field.startsWith(`${path}.trafficPolicy`))) continue;
      out.push({ ...set, ports: [p], pods: scope.pods });
    }
  }
  return out;
}

/** The Services of the output by host, and its pod templates by namespace: built once, when some TLS mode is set. */
function indexOutput(objects: readonly KubeObject[], model: MeshModel) {
  const services = new Map<string, KubeObject>();
  for (const o of objects)
    if (o.kind === 'Service' && o.apiVersion === 'v1') services.set(serviceHost(o.metadata.name, o.metadata.namespace ?? 'default'), o);
  const pods = new Map<string, PodTemplate[]>();
  for (const p of model.pods) pods.set(p.namespace, [...(pods.get(p.namespace) ?? []), p]);
  return { services, pods };
}

/** The Service of a cluster-local host in the output, with its pods. */
function serviceOf(index: ReturnType<typeof indexOutput>, model: MeshModel, fqdn: string) {
  const ns = hostNamespace(fqdn);
  if (!ns || model.chartNamespaces.has(ns)) return undefined; // what a Helm release installs is not in the output
  const svc = index.services.get(fqdn);
  if (!svc) return undefined; // IST0101 reports it
  const spec = (svc.spec ?? {}) as { selector?: Labels; ports?: ServicePort[] };
  const selector = spec.selector ?? {};
  const pods = Object.keys(selector).length === 0 ? [] : (index.pods.get(ns) ?? []).filter((p) => selectorMatches(selector, p.labels));
  return { namespace: ns, ports: spec.ports ?? [], pods };
}

/**
 * TLS against PeerAuthentication: a DestinationRule (or a Flagger Canary's traffic policy, which Flagger copies into
 * its DestinationRules) that originates TLS the destination's sidecars refuse. Toward pods whose PeerAuthentication is
 * STRICT only ISTIO_MUTUAL works (DISABLE, SIMPLE or MUTUAL fail every request); toward DISABLE only plain text.
 * Judged on every rendered object, whatever generated it, toward pods that run a sidecar (a pod without one, e.g. in a
 * namespace without injection, may well terminate TLS itself).
 */
export const MTLS_ANALYZERS: readonly Analyzer[] = [
  {
    code: 'IST0113',
    name: 'MTLSPolicyConflict',
    severity: 'error',
    description:
      "a DestinationRule's (or Canary's) TLS mode agrees with the PeerAuthentication of the sidecar pods it reaches: ISTIO_MUTUAL toward STRICT, DISABLE toward DISABLE",
    analyze: ({ objects }) => {
      const drs = istioObjects(objects, 'DestinationRule').filter((o) => setsTls(o.spec));
      const canaries = objectsOfKind(objects, 'Canary').filter((o) => o.apiVersion.startsWith('flagger.app/') && setsTls(o.spec));
      if (drs.length + canaries.length === 0) return [];
      const model = meshModel(objects);
      const index = indexOutput(objects, model);
      const pa = peerAuthentications(objects);
      const hasSidecar = sidecarOf(objects);
      const findings: RawFinding[] = [];
      const reported = new Set<string>();
      const judge = (target: KubeObject, t: TlsTarget, service: string, namespace: string) => {
        const key = `${objectName(target)} ${t.field}`;
        if (reported.has(key)) return; // one finding per setting
        for (const port of t.ports) {
          // A Service of no pod in the output: its pods get the namespace's mode.
          const pods = t.pods.length > 0 ? t.pods : [undefined];
          for (const pod of pods) {
            if (!hasSidecar(namespace, pod?.labels ?? {})) continue; // no proxy: no PeerAuthentication applies
            const cport = pod ? containerPort(port, pod) : typeof port.targetPort === 'number' ? port.targetPort : port.port;
            const peer = peerMode(pa, namespace, pod?.labels ?? {}, cport);
            if (!conflict(t.mode, peer.mode)) continue;
            const accepts = peer.mode === 'STRICT' ? 'only mutual TLS' : 'only plain text';
            findings.push({
              target,
              message: `${objectName(target)}: ${t.field} ${t.mode} toward port ${port.port} of ${service}, whose pods${pod ? ` (${objectName(pod.owner)})` : ''} accept ${accepts} (${peer.by}: ${peer.mode}), so every request fails`,
              fix:
                peer.mode === 'STRICT'
                  ? "remove the tls setting (Istio's auto mTLS sends ISTIO_MUTUAL) or set ISTIO_MUTUAL"
                  : 'remove the tls setting or set DISABLE, or accept mutual TLS on the destination (PeerAuthentication PERMISSIVE or STRICT)',
            });
            reported.add(key);
            return;
          }
        }
      };
      for (const dr of drs) {
        const spec = (dr.spec ?? {}) as Parameters<typeof tlsTargets>[0] & { host?: string };
        if (!spec.host || spec.host.includes('*')) continue;
        const host = qualifyHost(spec.host, dr.metadata.namespace ?? 'default');
        const [name, namespace, ...rest] = host.split('.');
        const fqdn = namespace !== undefined && rest.length === 0 ? serviceHost(name, namespace) : host;
        const svc = serviceOf(index, model, fqdn);
        if (!svc) continue;
        for (const t of tlsTargets(spec, svc.ports, svc.pods, 'spec')) judge(dr, t, `Service ${fqdn}`, svc.namespace);
      }
      for (const canary of canaries) {
        const ns = canary.metadata.namespace ?? 'default';
        if (model.chartNamespaces.has(ns)) continue;
        const spec = (canary.spec ?? {}) as {
          targetRef?: { name?: string };
          service?: { port?: number; targetPort?: number | string; trafficPolicy?: TlsPolicy };
        };
        const port = spec.service?.port;
        if (!spec.service?.trafficPolicy || port === undefined) continue;
        const pods = (index.pods.get(ns) ?? []).filter((p) => p.owner === canary || p.owner.metadata.name === spec.targetRef?.name);
        const ports = [{ port, targetPort: spec.service.targetPort }];
        for (const t of tlsTargets({ trafficPolicy: spec.service.trafficPolicy }, ports, pods, 'spec.service'))
          judge(canary, t, `the Services Flagger generates for ${spec.targetRef?.name}`, ns);
      }
      return findings;
    },
  },
];
