import { serviceHost } from '../../constructs/core/hosts';
import type { KubeObject } from '../engines/render';

/**
 * `mesh graph`: the service topology of an environment, read from its rendered objects: workloads (Deployments
 * and Services, by their `app` label) grouped by namespace; calls the AuthorizationPolicies allow (the calls the
 * apps declare); gateways and the routes their VirtualServices bind; canaries (Flagger Canary targets); external
 * services (ServiceEntries) and who may reach them (Sidecar egress hosts).
 */

/** A box of the graph. */
export interface GraphNode {
  /** Unique id: `<namespace>/<app>`, `gateway:<namespace>/<name>`, `external:<host>`. */
  readonly id: string;
  readonly label: string;
  readonly kind: 'workload' | 'gateway' | 'external';
  /** The group it is drawn in: its namespace, or `external`. */
  readonly group: string;
  /** Set when a Flagger Canary drives its rollouts. */
  readonly canary?: boolean;
  /** Weighted subsets of its VirtualService (`v1 90%, v2 10%`), when split. */
  readonly split?: string;
  /** For an external service every workload with a Sidecar may reach: drawn as a note instead of an arrow from each. */
  readonly fromEveryWorkload?: boolean;
}

/** An arrow of the graph. */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  /** `call`: allowed by an AuthorizationPolicy; `route`: a gateway's VirtualService; `egress`: to an external service. */
  readonly kind: 'call' | 'route' | 'egress';
  /** The route's paths, for gateway routes. */
  readonly label?: string;
}

/** The topology of one environment. */
export interface MeshGraph {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

type Obj = KubeObject & { spec?: Record<string, unknown> };
const get = (o: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Reads the topology from rendered objects. Namespaces with no workloads, gateways or callers do not appear. */
export function meshGraph(objects: readonly KubeObject[]): MeshGraph {
  const objs = objects as readonly Obj[];
  const of = (kind: string) => objs.filter((o) => o.kind === kind);
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, GraphEdge>();
  const add = (n: GraphNode) => nodes.set(n.id, { ...nodes.get(n.id), ...n });
  const edge = (e: GraphEdge) => {
    if (e.from !== e.to)
      edges.set(`${e.from}>${e.to}`, {
        ...e,
        label: [edges.get(`${e.from}>${e.to}`)?.label, e.label].filter(Boolean).join(', ') || undefined,
      });
  };

  // Workloads: Deployments by their pods' app label (v1/v2 Deployments of one app are one box), and Services.
  const bySa = new Map<string, string>();
  const deploymentApp = new Map<string, string>();
  for (const d of of('Deployment')) {
    const ns = d.metadata.namespace ?? 'default';
    const app = String(get(d.spec, 'template', 'metadata', 'labels', 'app') ?? d.metadata.name);
    add({ id: `${ns}/${app}`, label: app, kind: 'workload', group: ns });
    deploymentApp.set(`${ns}/${d.metadata.name}`, app);
    bySa.set(`${ns}/${String(get(d.spec, 'template', 'spec', 'serviceAccountName') ?? 'default')}`, `${ns}/${app}`);
  }
  const hostApp = new Map<string, string>();
  for (const s of of('Service')) {
    const ns = s.metadata.namespace ?? 'default';
    const app = String(get(s.spec, 'selector', 'app') ?? s.metadata.name);
    if (!nodes.has(`${ns}/${app}`)) add({ id: `${ns}/${app}`, label: app, kind: 'workload', group: ns });
    for (const h of [s.metadata.name, `${s.metadata.name}.${ns}`, `${s.metadata.name}.${ns}.svc`, serviceHost(s.metadata.name, ns)])
      hostApp.set(`${ns} ${h}`, `${ns}/${app}`);
    hostApp.set(`* ${serviceHost(s.metadata.name, ns)}`, `${ns}/${app}`);
  }
  const hostNode = (host: string, fromNs: string) => hostApp.get(`${fromNs} ${host}`) ?? hostApp.get(`* ${host}`);

  // Canaries: Flagger's target Deployment; its -primary copy is the same app.
  const canaryApps = new Set<string>();
  for (const c of of('Canary')) {
    const ns = c.metadata.namespace ?? 'default';
    const target = String(get(c.spec, 'targetRef', 'name') ?? c.metadata.name);
    const app = deploymentApp.get(`${ns}/${target}`) ?? target;
    canaryApps.add(`${ns}/${app}`);
    add({ ...(nodes.get(`${ns}/${app}`) ?? { id: `${ns}/${app}`, label: app, kind: 'workload', group: ns }), canary: true });
  }
  const appNode = (ns: string, app: string) => {
    const base = app.endsWith('-primary') ? app.slice(0, -'-primary'.length) : app;
    return canaryApps.has(`${ns}/${base}`) ? `${ns}/${base}` : `${ns}/${app}`;
  };

  // Gateways.
  for (const g of of('Gateway')) {
    const ns = g.metadata.namespace ?? 'default';
    add({ id: `gateway:${ns}/${g.metadata.name}`, label: g.metadata.name, kind: 'gateway', group: ns });
  }

  // Calls: each ALLOW policy's principals that are workloads of this environment.
  for (const p of of('AuthorizationPolicy')) {
    const ns = p.metadata.namespace ?? 'default';
    const app = get(p.spec, 'selector', 'matchLabels', 'app');
    if ((get(p.spec, 'action') ?? 'ALLOW') !== 'ALLOW' || typeof app !== 'string') continue;
    const to = appNode(ns, app);
    if (!nodes.has(to)) continue;
    for (const rule of arr(get(p.spec, 'rules')))
      for (const from of arr(get(rule, 'from')))
        for (const principal of arr(get(from, 'source', 'principals'))) {
          const m = /^[^/]+\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(String(principal));
          const caller = m && bySa.get(`${m[1]}/${m[2]}`);
          if (caller) edge({ from: caller, to, kind: 'call' });
        }
  }

  // Routes: VirtualServices bound to gateways lead from the gateway to their destinations; weighted splits.
  for (const vs of of('VirtualService')) {
    const ns = vs.metadata.namespace ?? 'default';
    const gateways = arr(get(vs.spec, 'gateways'))
      .map(String)
      .filter((g) => g !== 'mesh')
      .map((g) => `gateway:${g.includes('/') ? g : `${ns}/${g}`}`);
    for (const route of arr(get(vs.spec, 'http'))) {
      const dests = arr(get(route, 'route'));
      const paths = arr(get(route, 'match'))
        .map((m) => get(m, 'uri', 'exact') ?? get(m, 'uri', 'prefix') ?? get(m, 'uri', 'regex'))
        .filter((u): u is string => typeof u === 'string');
      for (const d of dests) {
        const to = hostNode(String(get(d, 'destination', 'host')), ns);
        if (!to) continue;
        for (const g of gateways)
          if (nodes.has(g))
            edge({ from: g, to, kind: 'route', label: paths.length > 2 ? `${paths.slice(0, 2).join(' ')} …` : paths.join(' ') });
      }
      const weighted = dests.filter((d) => typeof get(d, 'weight') === 'number' && get(d, 'destination', 'subset'));
      const to = dests.length > 0 ? hostNode(String(get(dests[0], 'destination', 'host')), ns) : undefined;
      if (weighted.length > 1 && to && nodes.has(to))
        add({
          ...nodes.get(to)!,
          split: weighted.map((d) => `${String(get(d, 'destination', 'subset'))} ${String(get(d, 'weight'))}%`).join(', '),
        });
    }
  }

  // External services, and the workloads whose Sidecar lets them reach one.
  for (const se of of('ServiceEntry')) {
    if (get(se.spec, 'location') === 'MESH_INTERNAL') continue;
    for (const host of arr(get(se.spec, 'hosts')).map(String))
      add({ id: `external:${host}`, label: host, kind: 'external', group: 'external' });
  }
  for (const sc of of('Sidecar')) {
    const ns = sc.metadata.namespace ?? 'default';
    const app = get(sc.spec, 'workloadSelector', 'labels', 'app');
    if (typeof app !== 'string') continue;
    for (const egress of arr(get(sc.spec, 'egress')))
      for (const h of arr(get(egress, 'hosts')).map(String)) {
        const host = h.includes('/') ? h.slice(h.indexOf('/') + 1) : h;
        if (nodes.has(`external:${host}`)) edge({ from: appNode(ns, app), to: `external:${host}`, kind: 'egress' });
      }
  }

  // An external service every Sidecar-scoped workload may reach is a note on it, not an arrow from each one.
  const scoped = new Set<string>();
  for (const sc of of('Sidecar')) {
    const app = get(sc.spec, 'workloadSelector', 'labels', 'app');
    if (typeof app === 'string') scoped.add(appNode(sc.metadata.namespace ?? 'default', app));
  }
  for (const ext of [...nodes.values()].filter((n) => n.kind === 'external')) {
    const callers = new Set([...edges.values()].filter((e) => e.to === ext.id).map((e) => e.from));
    if (scoped.size > 1 && [...scoped].every((w) => callers.has(w))) {
      for (const [k, e] of edges) if (e.to === ext.id) edges.delete(k);
      add({ ...ext, fromEveryWorkload: true });
    }
  }
  const kept = [...nodes.values()];
  const order = (n: GraphNode) => `${n.group === 'external' ? '~' : n.group} ${n.kind === 'gateway' ? 0 : 1} ${n.label}`;
  return {
    nodes: kept.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0)),
    edges: [...edges.values()].filter((e) => nodes.has(e.from) && nodes.has(e.to)),
  };
}

/** A Mermaid id: letters, digits and underscores only. */
const mermaidId = (id: string) => id.replace(/[^A-Za-z0-9]/g, '_');
const mermaidText = (s: string) => s.replace(/"/g, '#quot;');

/** The topology as a Mermaid flowchart: one subgraph per namespace, gateways, canaries and external services styled. */
export function toMermaid(graph: MeshGraph): string {
  const lines = ['flowchart LR'];
  const groups = [...new Set(graph.nodes.map((n) => n.group))];
  for (const group of groups) {
    lines.push(
      `  subgraph ${mermaidId(`ns_${group}`)}["${mermaidText(group === 'external' ? 'external services' : `namespace ${group}`)}"]`,
    );
    for (const n of graph.nodes.filter((x) => x.group === group)) {
      const notes = [n.canary ? 'canary' : '', n.split ?? '', n.fromEveryWorkload ? 'reached by every workload' : ''];
      const text = mermaidText([n.label, ...notes].filter(Boolean).join('<br/>'));
      const shape = n.kind === 'gateway' ? `{{"${text}"}}` : n.kind === 'external' ? `>"${text}"]` : `["${text}"]`;
      lines.push(`    ${mermaidId(n.id)}${shape}`);
    }
    lines.push('  end');
  }
  for (const e of graph.edges) {
    const arrow = e.kind === 'egress' ? '-.->' : e.kind === 'route' ? '==>' : '-->';
    lines.push(`  ${mermaidId(e.from)} ${arrow}${e.label ? `|"${mermaidText(e.label)}"|` : ''} ${mermaidId(e.to)}`);
  }
  lines.push('  classDef gateway fill:#dbeafe,stroke:#1d4ed8', '  classDef canary fill:#fef3c7,stroke:#b45309,stroke-width:2px');
  lines.push('  classDef external fill:#f3f4f6,stroke:#6b7280,stroke-dasharray:4 3');
  for (const cls of ['gateway', 'external'] as const) {
    const ids = graph.nodes.filter((n) => n.kind === cls).map((n) => mermaidId(n.id));
    if (ids.length) lines.push(`  class ${ids.join(',')} ${cls}`);
  }
  const canaries = graph.nodes.filter((n) => n.canary).map((n) => mermaidId(n.id));
  if (canaries.length) lines.push(`  class ${canaries.join(',')} canary`);
  return lines.join('\n') + '\n';
}

const CHAR = 7.2;
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

interface ElkNode {
  id: string;
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  labels?: { text: string; width: number; height: number; x?: number; y?: number }[];
  children?: ElkNode[];
  edges?: ElkEdge[];
  layoutOptions?: Record<string, string>;
}
interface ElkEdge {
  id: string;
  sources: string[];
  targets: string[];
  labels?: { text: string; width: number; height: number; x?: number; y?: number }[];
  sections?: { startPoint: { x: number; y: number }; endPoint: { x: number; y: number }; bendPoints?: { x: number; y: number }[] }[];
}

/**
 * The topology drawn as SVG: laid out by ELK's layered algorithm (elkjs), namespaces as labelled boxes, left to
 * right from gateways to external services. Gateways are blue, canaries amber with a thick border, external
 * services grey and dashed; calls are solid arrows, gateway routes thick blue ones labelled with their paths,
 * egress dashed.
 */
export async function toSvg(graph: MeshGraph): Promise<string> {
  const ELK = require('elkjs/lib/elk.bundled.js') as new () => { layout(g: ElkNode): Promise<ElkNode> };
  const lines = (n: GraphNode) => [
    n.label,
    ...(n.canary ? ['canary'] : []),
    ...(n.split ? [n.split] : []),
    ...(n.fromEveryWorkload ? ['reached by every workload'] : []),
  ];
  const groups = [...new Set(graph.nodes.map((n) => n.group))];
  const root: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.json.shapeCoords': 'ROOT',
      'elk.json.edgeCoords': 'ROOT',
      'elk.layered.spacing.nodeNodeBetweenLayers': '60',
      'elk.spacing.nodeNode': '24',
      'elk.spacing.edgeLabel': '4',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.padding': '[top=20,left=20,bottom=20,right=20]',
    },
    children: groups.map((g) => ({
      id: `group:${g}`,
      labels: [{ text: g === 'external' ? 'external services' : `namespace ${g}`, width: 0, height: 16 }],
      layoutOptions: { 'elk.padding': '[top=36,left=16,bottom=16,right=16]', 'elk.nodeLabels.placement': 'INSIDE V_TOP H_LEFT' },
      children: graph.nodes
        .filter((n) => n.group === g)
        .map((n) => ({ id: n.id, width: Math.max(...lines(n).map((l) => l.length)) * CHAR + 28, height: 20 + 16 * lines(n).length })),
    })),
    edges: graph.edges.map((e, i) => ({
      id: `e${i}`,
      sources: [e.from],
      targets: [e.to],
      labels: e.label ? [{ text: e.label, width: e.label.length * 6.2 + 6, height: 14 }] : undefined,
    })),
  };
  const laid = await new ELK().layout(root);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const out: string[] = [];
  const LEGEND = 34;
  const W = Math.max(Math.ceil(laid.width ?? 100), 720);
  const H = Math.ceil(laid.height ?? 100) + LEGEND;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    '<defs>',
    '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#374151"/></marker>',
    '<marker id="arrow-route" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1d4ed8"/></marker>',
    '</defs>',
    `<rect class="background" width="${W}" height="${H}" fill="#ffffff"/>`,
  );
  for (const g of laid.children ?? []) {
    const dashed = g.id === 'group:external' ? ' stroke-dasharray="6 4"' : '';
    out.push(`<g class="namespace" id="${esc(g.id)}">`);
    out.push(`<rect x="${g.x}" y="${g.y}" width="${g.width}" height="${g.height}" rx="8" fill="#f9fafb" stroke="#9ca3af"${dashed}/>`);
    out.push(
      `<text x="${(g.x ?? 0) + 12}" y="${(g.y ?? 0) + 22}" font-weight="bold" fill="#374151">${esc(g.labels?.[0]?.text ?? '')}</text>`,
    );
    out.push('</g>');
  }
  for (const [i, e] of (laid.edges ?? []).entries()) {
    const edge = graph.edges[i];
    const style =
      edge.kind === 'route'
        ? 'stroke="#1d4ed8" stroke-width="2.2" marker-end="url(#arrow-route)"'
        : edge.kind === 'egress'
          ? 'stroke="#6b7280" stroke-width="1.4" stroke-dasharray="5 4" marker-end="url(#arrow)"'
          : 'stroke="#374151" stroke-width="1.4" marker-end="url(#arrow)"';
    for (const s of e.sections ?? []) {
      const pts = [s.startPoint, ...(s.bendPoints ?? []), s.endPoint].map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
      out.push(
        `<polyline class="edge ${edge.kind}" data-from="${esc(edge.from)}" data-to="${esc(edge.to)}" points="${pts}" fill="none" ${style}/>`,
      );
    }
    for (const l of e.labels ?? [])
      out.push(
        `<text class="edge-label" x="${(l.x ?? 0) + 3}" y="${(l.y ?? 0) + 11}" font-size="11" fill="#1d4ed8" stroke="#ffffff" stroke-width="3" paint-order="stroke">${esc(l.text)}</text>`,
      );
  }
  for (const g of laid.children ?? [])
    for (const c of g.children ?? []) {
      const n = byId.get(c.id)!;
      const fill = n.kind === 'gateway' ? '#dbeafe' : n.kind === 'external' ? '#f3f4f6' : n.canary ? '#fef3c7' : '#ffffff';
      const stroke = n.kind === 'gateway' ? '#1d4ed8' : n.kind === 'external' ? '#6b7280' : n.canary ? '#b45309' : '#374151';
      const extra = n.kind === 'external' ? ' stroke-dasharray="5 3"' : n.canary ? ' stroke-width="2.5"' : '';
      const classes = ['node', n.kind, ...(n.canary ? ['canary'] : [])].join(' ');
      out.push(`<g class="${classes}" id="${esc(n.id)}">`);
      out.push(
        `<rect x="${c.x}" y="${c.y}" width="${c.width}" height="${c.height}" rx="${n.kind === 'gateway' ? 16 : 4}" fill="${fill}" stroke="${stroke}"${extra}/>`,
      );
      lines(n).forEach((t, k) =>
        out.push(
          `<text x="${(c.x ?? 0) + (c.width ?? 0) / 2}" y="${(c.y ?? 0) + 24 + 16 * k}" text-anchor="middle"${k === 0 ? ' font-weight="bold"' : ' font-size="11" fill="#92400e"'}>${esc(t)}</text>`,
        ),
      );
      out.push('</g>');
    }
  // The legend, along the bottom: what the colours and the arrows mean.
  const ly = H - LEGEND / 2;
  out.push(`<g class="legend" font-size="11" fill="#374151">`);
  const swatches: [string, string, string][] = [
    ['gateway', '#dbeafe', '#1d4ed8'],
    ['canary', '#fef3c7', '#b45309'],
    ['external', '#f3f4f6', '#6b7280'],
  ];
  swatches.forEach(([label, fill, stroke], i) => {
    const x = 20 + i * 90;
    out.push(`<rect x="${x}" y="${ly - 7}" width="14" height="14" rx="3" fill="${fill}" stroke="${stroke}"/>`);
    out.push(`<text x="${x + 20}" y="${ly + 4}">${label}</text>`);
  });
  const arrows: [string, string][] = [
    ['allowed call', 'stroke="#374151" stroke-width="1.4" marker-end="url(#arrow)"'],
    ['gateway route', 'stroke="#1d4ed8" stroke-width="2.2" marker-end="url(#arrow-route)"'],
    ['egress', 'stroke="#6b7280" stroke-width="1.4" stroke-dasharray="5 4" marker-end="url(#arrow)"'],
  ];
  arrows.forEach(([label, style], i) => {
    const x = 300 + i * 140;
    out.push(`<line x1="${x}" y1="${ly}" x2="${x + 34}" y2="${ly}" ${style}/>`);
    out.push(`<text x="${x + 42}" y="${ly + 4}">${label}</text>`);
  });
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n') + '\n';
}
