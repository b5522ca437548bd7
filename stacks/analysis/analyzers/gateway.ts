import { KubeObject } from '../../../constructs/core/kube-object';
import { objectsOfKind } from '../run-cache';
import { Analyzer, objectName, RawFinding } from '../analyzer';
import { istioObjects, meshModel, selectorMatches } from './mesh-model';

type Labels = Readonly<Record<string, string>>;

/**
 * The ports of the Service of Istio's `gateway` chart when its values set no `service.ports` (the chart's defaults at
 * the pinned version; a test compares them with the chart): status, HTTP and HTTPS, each on the same target port.
 */
export const GATEWAY_CHART_SERVICE_PORTS: readonly { readonly name: string; readonly port: number; readonly targetPort: number }[] = [
  { name: 'status-port', port: 15021, targetPort: 15021 },
  { name: 'http2', port: 80, targetPort: 80 },
  { name: 'https', port: 443, targetPort: 443 },
];

/** The target ports of the chart's Service for a network gateway (`networkGateway` set): the chart's defaults per port name. */
const NETWORK_GATEWAY_TARGET_PORTS: Readonly<Record<string, number>> = {
  'status-port': 15021,
  tls: 15443,
  'tls-istiod': 15012,
  'tls-webhook': 15017,
};

/** A gateway deployment whose pods and Service ports the output says: from a gateway chart's release, or plain objects. */
interface GatewayWorkload {
  /** What runs it, e.g. `HelmRelease flux-system/istio-ingressgateway`. */
  readonly what: string;
  readonly labels: Labels;
  /** The ports its pods receive on through their Service(s) (Istio binds a Gateway server to the pod's port). */
  readonly targetPorts: readonly number[];
}

/**
 * The pods and Service target ports of an Istio `gateway` chart release, read from its values as the chart's templates use
 * them. Undefined when its values are not all in the output (`valuesFrom`).
 */
function gatewayRelease(release: KubeObject): GatewayWorkload | undefined {
  const spec = (release.spec ?? {}) as {
    chart?: { spec?: { chart?: string } };
    releaseName?: string;
    targetNamespace?: string;
    valuesFrom?: unknown[];
    values?: Record<string, any>;
  };
  if (spec.chart?.spec?.chart !== 'gateway' || (spec.valuesFrom ?? []).length > 0) return undefined;
  const values = spec.values ?? {};
  // Flux names the release [<targetNamespace>-]<name> unless told; the chart names its objects after `name`, else the release.
  const releaseName = spec.releaseName ?? (spec.targetNamespace ? `${spec.targetNamespace}-` : '') + release.metadata.name;
  const name: string = values.name || releaseName;
  const labels: Record<string, string> = { ...(values.labels ?? {}) };
  labels.app = values.labels?.app ?? name;
  labels.istio = values.labels?.istio ?? name.replace(/^istio-/, '');
  let targetPorts: number[];
  if (values.service?.type === 'None') targetPorts = [];
  else if (values.networkGateway) {
    const ports = (values.networkGatewayPorts ?? {}) as Record<string, { targetPort?: number }>;
    targetPorts = Object.entries(NETWORK_GATEWAY_TARGET_PORTS).map(([portName, fallback]) => ports[portName]?.targetPort ?? fallback);
  } else {
    const ports = (values.service?.ports ?? GATEWAY_CHART_SERVICE_PORTS) as { port: number; targetPort?: number | string }[];
    targetPorts = ports.flatMap((p) => (typeof p.targetPort === 'number' ? [p.targetPort] : p.targetPort === undefined ? [p.port] : []));
  }
  return { what: objectName(release), labels, targetPorts };
}

/**
 * The plain deployments of the output whose pods a Gateway's selector matches (a user's own gateway), with the target
 * ports of the Services selecting their pods.
 */
function plainWorkloads(objects: readonly KubeObject[], selector: Labels): GatewayWorkload[] {
  const pods = meshModel(objects).pods.filter((p) => p.owner.kind !== 'Canary' && selectorMatches(selector, p.labels));
  if (pods.length === 0) return [];
  const services = objectsOfKind(objects, 'Service').filter((o) => o.apiVersion === 'v1');
  return pods.map((p) => {
    const targetPorts = services
      .filter((s) => (s.metadata.namespace ?? 'default') === p.namespace)
      .map((s) => (s.spec ?? {}) as { selector?: Labels; ports?: { port: number; targetPort?: number | string }[] })
      .filter((s) => Object.keys(s.selector ?? {}).length > 0 && selectorMatches(s.selector!, p.labels))
      .flatMap((s) => s.ports ?? [])
      .map((sp) => (sp.targetPort === undefined ? sp.port : Number(sp.targetPort)))
      .filter((n) => Number.isInteger(n));
    return { what: objectName(p.owner), labels: p.labels, targetPorts };
  });
}

/**
 * IST0104: a Gateway server on a port the gateway pods it selects do not receive on through their Service. Istio
 * binds the server to that port of the pod; a client reaches it only through a Service port targeting it.
 */
export const GATEWAY_ANALYZERS: readonly Analyzer[] = [
  {
    code: 'IST0104',
    name: 'GatewayPortNotOnWorkload',
    severity: 'warning',
    description:
      "every server port of a Gateway is a target port of the Service of the gateway deployment it selects (the gateway chart's service.ports, else its defaults 15021, 80 and 443)",
    analyze: ({ objects }) => {
      const gateways = istioObjects(objects, 'Gateway');
      if (gateways.length === 0) return [];
      const releases = objects
        .filter((o) => o.kind === 'HelmRelease' && o.apiVersion.startsWith('helm.toolkit.fluxcd.io/'))
        .map(gatewayRelease)
        .filter((w): w is GatewayWorkload => w !== undefined);
      const findings: RawFinding[] = [];
      for (const gw of gateways) {
        const spec = (gw.spec ?? {}) as { selector?: Labels; servers?: { port?: { number?: number; name?: string } }[] };
        const selector = spec.selector ?? {};
        if (Object.keys(selector).length === 0) continue;
        const selected = [...releases.filter((w) => selectorMatches(selector, w.labels)), ...plainWorkloads(objects, selector)];
        if (selected.length === 0) continue; // a gateway deployment the output does not hold: its ports are unknown
        const ports = new Set(selected.flatMap((w) => w.targetPorts));
        (spec.servers ?? []).forEach((server, i) => {
          const port = server.port?.number;
          if (port === undefined || ports.has(port)) return;
          findings.push({
            target: gw,
            message: `${objectName(gw)}: spec.servers[${i}].port.number ${port} is not a port the gateway workload selected by ${JSON.stringify(selector)} receives on (${selected.map((w) => w.what).join(', ')}: target ports ${[...ports].sort((a, b) => a - b).join(', ') || 'none'}), so no client reaches that server`,
            fix: `use one of those ports, or expose ${port} on the gateway's Service (the gateway chart's service.ports, each with its targetPort)`,
          });
        });
      }
      return findings;
    },
  },
];
