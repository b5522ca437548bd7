import type { KubeObject } from '../../constructs/core/kube-object';
import { milliValue, parseQuantity, unitValue } from '../../constructs/core/quantity';

/**
 * The resource footprint of an environment: what its pods request from the scheduler, per component, at rest.
 *
 * Read from the rendered objects of the environment (what both engines deploy):
 * - app workloads: every Deployment, StatefulSet and DaemonSet, times its replicas (an autoscaled one at its
 *   HorizontalPodAutoscaler's `minReplicas`; a Flagger target at rest is its `<name>-primary`, with the target's
 *   replicas or its autoscaler's minimum, the target itself scaled to 0), plus one sidecar proxy per pod of an
 *   injected namespace;
 * - Helm releases: the pods each chart creates, from the release's values over the chart defaults the model knows
 *   ({@link CHART_MODELS}, read from the upstream charts at the pinned versions: `test/stacks/bench/footprint.test.ts`
 *   checks them against the charts' values.yaml, and against what `minihelm` renders when it is built).
 *
 * A pod's request is what the scheduler reserves: the sum of its containers, or its largest init container if
 * that is more. Jobs (cert-manager's post-install check) and a canary's analysis (target and primary both run)
 * are transient and not counted. A DaemonSet counts one pod (one node).
 */

/** Requests of one container, or of a sum of them. */
export interface Requests {
  /** Millicores. */
  readonly cpuMilli: number;
  /** Bytes. */
  readonly memoryBytes: number;
}

/** One component of the footprint: a workload or a Helm release's pods. */
export interface FootprintComponent {
  /** `istiod`, `prometheus (server)`, `demo/httpbin-primary`. */
  readonly name: string;
  /** `platform` (installed by a Helm release) or `app` (a workload of the rendered objects). */
  readonly kind: 'platform' | 'app';
  /** Its namespace. */
  readonly namespace: string;
  /** Where it comes from: `HelmRelease istiod (istiod 1.30.3)`, `Deployment demo/httpbin`. */
  readonly source: string;
  /** Pods at rest (for a DaemonSet: on one node). */
  readonly pods: number;
  /** A DaemonSet: one pod on every node, counted for one node. */
  readonly perNode: boolean;
  /** Requests of its own containers over all its pods (sidecars apart). */
  readonly requests: Requests;
  /** Requests of the sidecar proxies injected into its pods (zero outside the mesh). */
  readonly sidecars: Requests;
  /** Its containers that request no CPU or no memory (nothing the scheduler can account for). */
  readonly withoutRequests: readonly string[];
}

/** The footprint of an environment. */
export interface Footprint {
  /** Every component with pods, platform first. */
  readonly components: readonly FootprintComponent[];
  /** The sum over every component, sidecars included. */
  readonly total: Requests;
  /** The sum of the sidecar proxies alone. */
  readonly sidecars: Requests;
  /** What is not part of the environment's objects but runs beside it (Flux's controllers), each with its requests. */
  readonly outside: readonly { readonly name: string; readonly pods: number; readonly requests: Requests; readonly note: string }[];
}

/** Requests and limits as a container or chart value spells them. */
interface ResourceSpec {
  readonly requests?: { readonly cpu?: unknown; readonly memory?: unknown };
  readonly limits?: { readonly cpu?: unknown; readonly memory?: unknown };
}

/** A container a chart renders: its name and effective resources. */
interface ModelContainer {
  readonly name: string;
  readonly resources?: ResourceSpec;
  /** An init container (it counts only when larger than the pod's containers together). */
  readonly init?: boolean;
}

/** A workload a chart renders. */
interface ModelWorkload {
  /** Suffix after the release name in the component's name (`server`, `webhook`), or none for the main workload. */
  readonly part?: string;
  readonly replicas: number;
  readonly containers: readonly ModelContainer[];
  /** A DaemonSet: one pod per node. */
  readonly perNode?: boolean;
  /** Its pods are injected with a sidecar when their namespace is (false for gateways, whose container is the proxy). */
  readonly injectable: boolean;
}

type Values = Record<string, unknown>;

const ZERO: Requests = { cpuMilli: 0, memoryBytes: 0 };

function isMap(v: unknown): v is Values {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Helm's coalescing of values over chart defaults: maps merge, the user's value wins, null removes. */
export function coalesceValues(user: unknown, defaults: unknown): unknown {
  if (!isMap(user) || !isMap(defaults)) return user === undefined ? defaults : user;
  const out: Values = { ...defaults };
  for (const [k, u] of Object.entries(user)) {
    if (u === null) delete out[k];
    else out[k] = coalesceValues(u, defaults[k]);
  }
  return out;
}

function at(values: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (isMap(v) ? v[k] : undefined), values);
}

function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

const CPU_REQUESTS_MEMORY = (cpu: string, memory: string, limits?: { cpu?: string; memory?: string }): ResourceSpec => ({
  requests: { cpu, memory },
  ...(limits ? { limits } : {}),
});

/** The requests and limits of an Istio proxy at the istiod and gateway charts' defaults (1.30.3). */
export const ISTIO_PROXY_CHART_DEFAULT = CPU_REQUESTS_MEMORY('100m', '128Mi', { cpu: '2000m', memory: '1024Mi' });

/**
 * What each chart renders (its pods), from a release's values over the chart's defaults: per chart name, the
 * defaults the model reads (a subset of the chart's values.yaml at the pinned version) and the workloads.
 */
export const CHART_MODELS: Record<string, { readonly defaults: Values; readonly workloads: (v: Values) => ModelWorkload[] }> = {
  base: { defaults: {}, workloads: () => [] },
  // istiod: `pilot.*` is copied to the top level (templates/zzy_descope_legacy.yaml), over `_internal_defaults_do_not_set`.
  istiod: {
    defaults: {
      _internal_defaults_do_not_set: {
        autoscaleEnabled: true,
        autoscaleMin: 1,
        replicaCount: 1,
        resources: CPU_REQUESTS_MEMORY('500m', '2048Mi'),
      },
      global: { proxy: { resources: ISTIO_PROXY_CHART_DEFAULT } },
    },
    workloads: (v) => {
      const flat = coalesceValues(coalesceValues(v.pilot ?? {}, v), v._internal_defaults_do_not_set) as Values;
      const replicas = truthy(flat.autoscaleEnabled) ? Number(flat.autoscaleMin) : Number(flat.replicaCount ?? 1);
      return [{ replicas, containers: [{ name: 'discovery', resources: flat.resources as ResourceSpec }], injectable: false }];
    },
  },
  gateway: {
    defaults: {
      _internal_defaults_do_not_set: {
        autoscaling: { enabled: true, minReplicas: 1 },
        resources: ISTIO_PROXY_CHART_DEFAULT,
      },
    },
    workloads: (v) => {
      const flat = coalesceValues(v, v._internal_defaults_do_not_set) as Values;
      const replicas = truthy(at(flat, 'autoscaling.enabled'))
        ? Number(at(flat, 'autoscaling.minReplicas'))
        : Number(flat.replicaCount ?? 1);
      return [{ replicas, containers: [{ name: 'istio-proxy', resources: flat.resources as ResourceSpec }], injectable: false }];
    },
  },
  cni: {
    defaults: { _internal_defaults_do_not_set: { resources: CPU_REQUESTS_MEMORY('100m', '100Mi') } },
    workloads: (v) => {
      const flat = coalesceValues(v, v._internal_defaults_do_not_set) as Values;
      return [
        { replicas: 1, perNode: true, containers: [{ name: 'install-cni', resources: flat.resources as ResourceSpec }], injectable: false },
      ];
    },
  },
  'cert-manager': {
    defaults: {
      replicaCount: 1,
      resources: {},
      webhook: { replicaCount: 1, resources: {} },
      cainjector: { enabled: true, replicaCount: 1, resources: {} },
    },
    workloads: (v) => [
      {
        part: 'controller',
        replicas: Number(v.replicaCount),
        containers: [{ name: 'cert-manager-controller', resources: v.resources as ResourceSpec }],
        injectable: true,
      },
      {
        part: 'webhook',
        replicas: Number(at(v, 'webhook.replicaCount')),
        containers: [{ name: 'cert-manager-webhook', resources: at(v, 'webhook.resources') as ResourceSpec }],
        injectable: true,
      },
      ...(truthy(at(v, 'cainjector.enabled'))
        ? [
            {
              part: 'cainjector',
              replicas: Number(at(v, 'cainjector.replicaCount')),
              containers: [{ name: 'cert-manager-cainjector', resources: at(v, 'cainjector.resources') as ResourceSpec }],
              injectable: true,
            },
          ]
        : []),
    ],
  },
  flagger: {
    defaults: { leaderElection: { replicaCount: 1 }, resources: CPU_REQUESTS_MEMORY('10m', '32Mi', { cpu: '1000m', memory: '512Mi' }) },
    workloads: (v) => [
      {
        replicas: Number(at(v, 'leaderElection.replicaCount')),
        containers: [{ name: 'flagger', resources: v.resources as ResourceSpec }],
        injectable: true,
      },
    ],
  },
  loadtester: {
    defaults: { replicaCount: 1, resources: CPU_REQUESTS_MEMORY('10m', '64Mi') },
    workloads: (v) => [
      { replicas: Number(v.replicaCount), containers: [{ name: 'loadtester', resources: v.resources as ResourceSpec }], injectable: true },
    ],
  },
  prometheus: {
    defaults: {
      server: { replicaCount: 1, resources: {} },
      configmapReload: { prometheus: { enabled: true, resources: {} } },
      alertmanager: { enabled: true, replicaCount: 1, resources: {}, configmapReload: { enabled: false, resources: {} } },
      'kube-state-metrics': { enabled: true },
      'prometheus-node-exporter': { enabled: true },
      'prometheus-pushgateway': { enabled: true },
    },
    workloads: (v) => [
      {
        part: 'server',
        replicas: Number(at(v, 'server.replicaCount')),
        containers: [
          ...(truthy(at(v, 'configmapReload.prometheus.enabled'))
            ? [{ name: 'config-reloader', resources: at(v, 'configmapReload.prometheus.resources') as ResourceSpec }]
            : []),
          { name: 'prometheus-server', resources: at(v, 'server.resources') as ResourceSpec },
        ],
        injectable: true,
      },
      ...(truthy(at(v, 'alertmanager.enabled'))
        ? [
            {
              part: 'alertmanager',
              replicas: Number(at(v, 'alertmanager.replicaCount')),
              containers: [
                { name: 'alertmanager', resources: at(v, 'alertmanager.resources') as ResourceSpec },
                ...(truthy(at(v, 'alertmanager.configmapReload.enabled'))
                  ? [{ name: 'config-reloader', resources: at(v, 'alertmanager.configmapReload.resources') as ResourceSpec }]
                  : []),
              ],
              injectable: true,
            },
          ]
        : []),
      // The subcharts the stack turns off: modelled only as pods without known requests, so the total says so.
      ...['kube-state-metrics', 'prometheus-node-exporter', 'prometheus-pushgateway']
        .filter((sub) => truthy(at(v, `${sub}.enabled`)))
        .map((sub) => ({ part: sub, replicas: 1, containers: [{ name: sub }], injectable: true })),
    ],
  },
  grafana: {
    defaults: {
      replicas: 1,
      resources: {},
      dashboards: {},
      downloadDashboards: { resources: {} },
      persistence: { enabled: false },
      initChownData: { enabled: true, resources: {} },
      sidecar: { resources: {}, dashboards: { enabled: false }, datasources: { enabled: false }, alerts: { enabled: false } },
    },
    workloads: (v) => [
      {
        replicas: Number(v.replicas),
        containers: [
          { name: 'grafana', resources: v.resources as ResourceSpec },
          ...['dashboards', 'datasources', 'alerts']
            .filter((s) => truthy(at(v, `sidecar.${s}.enabled`)))
            .map((s) => ({ name: `grafana-sc-${s}`, resources: at(v, 'sidecar.resources') as ResourceSpec })),
          ...(truthy(v.dashboards)
            ? [{ name: 'download-dashboards', resources: at(v, 'downloadDashboards.resources') as ResourceSpec, init: true }]
            : []),
          ...(truthy(at(v, 'persistence.enabled')) && truthy(at(v, 'initChownData.enabled'))
            ? [{ name: 'init-chown-data', resources: at(v, 'initChownData.resources') as ResourceSpec, init: true }]
            : []),
        ],
        injectable: true,
      },
    ],
  },
  jaeger: {
    defaults: { jaeger: { enabled: true, replicas: 1 } },
    workloads: (v) =>
      truthy(at(v, 'jaeger.enabled'))
        ? [
            {
              replicas: Number(at(v, 'jaeger.replicas')),
              containers: [{ name: 'jaeger', resources: at(v, 'jaeger.resources') as ResourceSpec }],
              injectable: true,
            },
          ]
        : [],
  },
  'kiali-server': {
    defaults: { deployment: { replicas: 1, resources: CPU_REQUESTS_MEMORY('10m', '64Mi', { memory: '1Gi' }) } },
    workloads: (v) => [
      {
        replicas: Number(at(v, 'deployment.replicas')),
        containers: [{ name: 'kiali', resources: at(v, 'deployment.resources') as ResourceSpec }],
        injectable: true,
      },
    ],
  },
};

/**
 * Flux's controllers as `pulumi up` installs them in gitops mode (the flux2 chart 2.17.0 with `FLUX_VALUES`, as
 * `flux install` does): source, kustomize, helm and notification, each requesting the chart's 100m and 64Mi. Not
 * installed by the environment's objects: listed beside the total.
 */
export const FLUX_CONTROLLERS = { pods: 4, requests: { cpuMilli: 400, memoryBytes: 4 * 64 * 2 ** 20 } } as const;

/** Requests of one resources value: CPU in millicores and memory in bytes, 0 where none is requested. */
export function requestsOf(resources: ResourceSpec | undefined): Requests & { readonly missing: readonly ('cpu' | 'memory')[] } {
  const cpu = resources?.requests?.cpu ?? resources?.limits?.cpu;
  const memory = resources?.requests?.memory ?? resources?.limits?.memory;
  // Kubernetes defaults a request to its limit when only the limit is given.
  const parse = (v: unknown, milli: boolean): number | undefined => {
    if (v === undefined || v === null || v === '') return undefined;
    const q = parseQuantity(String(v));
    if (typeof q === 'string') throw new Error(`resources ${JSON.stringify(resources)}: '${String(v)}' ${q}`);
    return Number(milli ? milliValue(q).milli : unitValue(q).value);
  };
  const cpuMilli = parse(cpu, true);
  const memoryBytes = parse(memory, false);
  return {
    cpuMilli: cpuMilli ?? 0,
    memoryBytes: memoryBytes ?? 0,
    missing: [...(cpuMilli ? [] : ['cpu' as const]), ...(memoryBytes ? [] : ['memory' as const])],
  };
}

function add(a: Requests, b: Requests, times = 1): Requests {
  return { cpuMilli: a.cpuMilli + b.cpuMilli * times, memoryBytes: a.memoryBytes + b.memoryBytes * times };
}

/** What the scheduler reserves for one pod: its containers together, or its largest init container if more. */
function podRequests(containers: readonly ModelContainer[]): { requests: Requests; withoutRequests: string[] } {
  let sum = ZERO;
  let init = ZERO;
  const withoutRequests: string[] = [];
  for (const c of containers) {
    const r = requestsOf(c.resources);
    if (r.missing.length > 0 && !c.init) withoutRequests.push(`${c.name} (no ${r.missing.join(' or ')} request)`);
    if (c.init) init = { cpuMilli: Math.max(init.cpuMilli, r.cpuMilli), memoryBytes: Math.max(init.memoryBytes, r.memoryBytes) };
    else sum = add(sum, r);
  }
  return {
    requests: { cpuMilli: Math.max(sum.cpuMilli, init.cpuMilli), memoryBytes: Math.max(sum.memoryBytes, init.memoryBytes) },
    withoutRequests,
  };
}

interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { containers?: { name: string; resources?: ResourceSpec }[]; initContainers?: { name: string; resources?: ResourceSpec }[] };
}

/**
 * The sidecar istiod injects into a pod: the `sidecar.istio.io/proxyCPU`/`proxyMemory` (and `...Limit`) annotations
 * replace the mesh-wide resources when any is set, as the injection template does.
 */
function sidecarOf(annotations: Record<string, string> | undefined, meshProxy: ResourceSpec): ResourceSpec {
  const a = annotations ?? {};
  const keys = ['proxyCPU', 'proxyMemory', 'proxyCPULimit', 'proxyMemoryLimit'].map((k) => `sidecar.istio.io/${k}`);
  if (!keys.some((k) => k in a)) return meshProxy;
  return {
    requests: { cpu: a['sidecar.istio.io/proxyCPU'], memory: a['sidecar.istio.io/proxyMemory'] },
    limits: { cpu: a['sidecar.istio.io/proxyCPULimit'], memory: a['sidecar.istio.io/proxyMemoryLimit'] },
  };
}

/**
 * Whether istiod injects a pod, as its webhooks select: a namespace labelled `istio-injection=disabled` never; one
 * labelled `enabled` unless the pod says `sidecar.istio.io/inject: "false"`; any other namespace only a pod labelled
 * `sidecar.istio.io/inject: "true"`.
 */
function injected(namespaceLabel: string | undefined, template: PodTemplate | undefined): boolean {
  const flag = template?.metadata?.labels?.['sidecar.istio.io/inject'] ?? template?.metadata?.annotations?.['sidecar.istio.io/inject'];
  if (namespaceLabel === 'disabled') return false;
  if (namespaceLabel === 'enabled') return flag !== 'false';
  return flag === 'true';
}

/**
 * Computes the footprint of an environment's rendered objects (see the module's comment for what is counted).
 * @throws when a Helm release installs a chart the model does not know: its pods would be missing from the total
 */
export function computeFootprint(objects: readonly KubeObject[]): Footprint {
  const injectionLabel = new Map(
    objects
      .filter((o) => o.kind === 'Namespace')
      .map((o) => [o.metadata.name, (o.metadata.labels as Record<string, string> | undefined)?.['istio-injection']] as const),
  );
  const releases = objects.filter((o) => o.kind === 'HelmRelease');
  const istiod = releases.find((r) => at(r, 'spec.chart.spec.chart') === 'istiod');
  const meshProxy = (at(coalesceValues(at(istiod, 'spec.values') ?? {}, CHART_MODELS.istiod.defaults), 'global.proxy.resources') ??
    ISTIO_PROXY_CHART_DEFAULT) as ResourceSpec;

  const components: FootprintComponent[] = [];
  const push = (
    c: Omit<FootprintComponent, 'requests' | 'sidecars' | 'withoutRequests'>,
    containers: readonly ModelContainer[],
    sidecar: ResourceSpec | undefined,
  ) => {
    const pod = podRequests(containers);
    const proxy = sidecar ? requestsOf(sidecar) : undefined;
    const withoutRequests = [
      ...pod.withoutRequests,
      ...(proxy && proxy.missing.length > 0 ? [`istio-proxy (no ${proxy.missing.join(' or ')} request)`] : []),
    ];
    components.push({
      ...c,
      requests: { cpuMilli: pod.requests.cpuMilli * c.pods, memoryBytes: pod.requests.memoryBytes * c.pods },
      sidecars: proxy ? { cpuMilli: proxy.cpuMilli * c.pods, memoryBytes: proxy.memoryBytes * c.pods } : ZERO,
      withoutRequests,
    });
  };

  for (const r of releases) {
    const chart = String(at(r, 'spec.chart.spec.chart'));
    const version = String(at(r, 'spec.chart.spec.version'));
    const release = String(at(r, 'spec.releaseName') ?? r.metadata.name);
    const namespace = String(at(r, 'spec.targetNamespace') ?? r.metadata.namespace);
    const model = CHART_MODELS[chart];
    if (!model) {
      throw new Error(
        `footprint: HelmRelease ${release} installs chart '${chart}' ${version}, whose pods the footprint does not know; add it to CHART_MODELS in stacks/bench/footprint.ts`,
      );
    }
    const values = coalesceValues(at(r, 'spec.values') ?? {}, model.defaults) as Values;
    for (const w of model.workloads(values)) {
      if (w.replicas === 0) continue;
      push(
        {
          name: w.part ? `${release} (${w.part})` : release,
          kind: 'platform',
          namespace,
          source: `HelmRelease ${release} (${chart} ${version})`,
          pods: w.replicas,
          perNode: w.perNode ?? false,
        },
        w.containers,
        w.injectable && injectionLabel.get(namespace) === 'enabled' ? meshProxy : undefined,
      );
    }
  }

  const workloadKinds = ['Deployment', 'StatefulSet', 'DaemonSet'];
  const hpas = objects.filter((o) => o.kind === 'HorizontalPodAutoscaler');
  const minReplicasOf = (namespace: string | undefined, kind: string, name: string): number | undefined => {
    const hpa = hpas.find(
      (h) => h.metadata.namespace === namespace && at(h, 'spec.scaleTargetRef.kind') === kind && at(h, 'spec.scaleTargetRef.name') === name,
    );
    return hpa ? Number(at(hpa, 'spec.minReplicas') ?? 1) : undefined;
  };
  const canaries = objects.filter((o) => o.kind === 'Canary');
  for (const w of objects.filter((o) => workloadKinds.includes(o.kind))) {
    const namespace = w.metadata.namespace ?? 'default';
    const canary = canaries.find(
      (c) =>
        c.metadata.namespace === w.metadata.namespace &&
        at(c, 'spec.targetRef.kind') === w.kind &&
        at(c, 'spec.targetRef.name') === w.metadata.name,
    );
    const replicasOf = (): number => {
      if (w.kind === 'DaemonSet') return 1;
      const hpaMin = minReplicasOf(w.metadata.namespace, w.kind, w.metadata.name);
      return hpaMin ?? Number(at(w, 'spec.replicas') ?? 1);
    };
    const template = at(w, 'spec.template') as PodTemplate | undefined;
    const containers: ModelContainer[] = [
      ...(template?.spec?.initContainers ?? []).map((c) => ({ name: c.name, resources: c.resources, init: true })),
      ...(template?.spec?.containers ?? []).map((c) => ({ name: c.name, resources: c.resources })),
    ];
    // A pod that declares its own istio-proxy (a gateway, injected with the gateway template) is completed, not given a second proxy.
    const ownProxy = (template?.spec?.containers ?? []).some((c) => c.name === 'istio-proxy');
    const sidecar =
      !ownProxy && injected(injectionLabel.get(namespace), template) ? sidecarOf(template?.metadata?.annotations, meshProxy) : undefined;
    // Flagger copies the target to <name>-primary (replicas from the target's autoscaler, else the target's) and scales the target to 0.
    const name = canary ? `${w.metadata.name}-primary` : w.metadata.name;
    const source = canary
      ? `${w.kind} ${namespace}/${w.metadata.name} (Canary ${canary.metadata.name}: its primary)`
      : `${w.kind} ${namespace}/${w.metadata.name}`;
    push(
      { name: `${namespace}/${name}`, kind: 'app', namespace, source, pods: replicasOf(), perNode: w.kind === 'DaemonSet' },
      containers,
      sidecar,
    );
  }

  components.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'platform' ? -1 : 1));
  const total = components.reduce((s, c) => add(add(s, c.requests), c.sidecars), ZERO);
  const sidecars = components.reduce((s, c) => add(s, c.sidecars), ZERO);
  const gitops = objects.some((o) => o.kind === 'GitRepository');
  return {
    components,
    total,
    sidecars,
    outside: gitops
      ? [
          {
            name: 'Flux controllers',
            pods: FLUX_CONTROLLERS.pods,
            requests: FLUX_CONTROLLERS.requests,
            note: 'the flux2 chart pulumi up installs in gitops mode: source, kustomize, helm, notification',
          },
        ]
      : [],
  };
}

/** Millicores as vCPU (`0.95`). */
export function formatCpu(milli: number): string {
  if (milli === 0) return '0';
  return milli >= 1000 ? `${(milli / 1000).toFixed(2)}` : `${milli}m`;
}

/** Bytes as MiB, or GiB from 1 GiB on. */
export function formatMemory(bytes: number): string {
  const mib = bytes / 2 ** 20;
  return mib >= 1024 ? `${(mib / 1024).toFixed(2)}Gi` : `${Math.round(mib)}Mi`;
}

/**
 * The footprint as a Markdown table: one row per component (its requests with its sidecars', and the sidecars' alone), the
 * total, what runs outside it, and the sidecars' share.
 */
export function footprintTable(f: Footprint): string {
  const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;
  const lines = [
    row(['component', 'namespace', 'pods', 'CPU', 'memory', 'of which sidecars: CPU', 'memory']),
    row(['---', '---', '---:', '---:', '---:', '---:', '---:']),
    ...f.components.map((c) =>
      row([
        c.withoutRequests.length > 0 ? `${c.name} (without requests: ${c.withoutRequests.join(', ')})` : c.name,
        c.namespace,
        c.perNode ? `${c.pods} per node` : c.pods,
        formatCpu(c.requests.cpuMilli + c.sidecars.cpuMilli),
        formatMemory(c.requests.memoryBytes + c.sidecars.memoryBytes),
        c.sidecars.cpuMilli ? formatCpu(c.sidecars.cpuMilli) : '',
        c.sidecars.memoryBytes ? formatMemory(c.sidecars.memoryBytes) : '',
      ]),
    ),
    row([
      '**total**',
      '',
      f.components.reduce((n, c) => n + c.pods, 0),
      `**${formatCpu(f.total.cpuMilli)}**`,
      `**${formatMemory(f.total.memoryBytes)}**`,
      formatCpu(f.sidecars.cpuMilli),
      formatMemory(f.sidecars.memoryBytes),
    ]),
    ...f.outside.map((o) =>
      row([
        `${o.name} (not in the total: ${o.note})`,
        'flux-system',
        o.pods,
        formatCpu(o.requests.cpuMilli),
        formatMemory(o.requests.memoryBytes),
        '',
        '',
      ]),
    ),
  ];
  const share = (part: number, whole: number) => (whole ? Math.round((100 * part) / whole) : 0);
  lines.push(
    '',
    `Sidecars: ${share(f.sidecars.cpuMilli, f.total.cpuMilli)} % of the CPU and ${share(f.sidecars.memoryBytes, f.total.memoryBytes)} % of the memory requested.`,
  );
  return `${lines.join('\n')}\n`;
}

/** The target for a development environment: at most 2 vCPU and 4 GiB requested, everything included. */
export const DEV_FOOTPRINT_TARGET: Requests = { cpuMilli: 2000, memoryBytes: 4 * 2 ** 30 };
