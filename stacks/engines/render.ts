import { ApiObject, App } from 'cdk8s';
import { LayerChart, LAYERS } from '../../charts';
import { MeshValidationError, warn } from '../../constructs';
import { KubeObject, objectKey } from '../../constructs/core/kube-object';
import { analyze, AnalysisError, formatFinding } from '../analysis/registry';
import { withJsonResolvedOnce } from './frozen-json';
import { stringifyYaml } from './yaml';

export type { KubeObject } from '../../constructs/core/kube-object';
export { objectKey } from '../../constructs/core/kube-object';

/** The objects of one chart, in construct order. */
export interface RenderedChart {
  /** The chart id (the output file's name). */
  readonly id: string;
  readonly layer: LayerChart['layer'];
  readonly objects: readonly KubeObject[];
}

/** Options of {@link renderCharts}. */
export interface RenderOptions {
  /**
   * API groups the target cluster serves before any layer of this app is applied: CRDs installed
   * outside the app, such as Istio's and Flagger's when the app holds only a team's charts for a
   * cluster where the platform already runs. Objects of these groups pass the layering check.
   * @default - none: every custom resource needs a component or a CRD of this app in an earlier layer
   */
  readonly clusterApiGroups?: readonly string[];
  /**
   * Run the analyzers of stacks/analysis on the output (their errors throw, their warnings are recorded).
   * `mesh analyze` turns this off to report every finding itself.
   * @default true
   */
  readonly analysis?: boolean;
}

/**
 * Validates the construct tree and resolves every chart into plain objects, layers in apply order.
 * Both engines start here: the Flux tree is written from it, the Pulumi program declares it.
 * Runs every analyzer of the registry (stacks/analysis: layering, workload rules, Flagger collisions,
 * references, ...) on the whole output: their errors throw a {@link MeshValidationError} listing every
 * problem, `[CODE] message`; their warnings are recorded on the chart of the object ({@link meshWarnings}).
 */
export function renderCharts(app: App, options: RenderOptions = {}): RenderedChart[] {
  // The tree is finished: validators and the rendering below share one resolution of each object.
  return withJsonResolvedOnce(app, () => renderResolved(app, options));
}

function renderResolved(app: App, options: RenderOptions): RenderedChart[] {
  const problems = app.node.findAll().flatMap((c) => c.node.validate().map((m) => `${c.node.path}: ${m}`));
  if (problems.length > 0) throw new MeshValidationError(problems.join('\n'));
  const charts = app.node.children.map((child) => {
    if (!LayerChart.isLayerChart(child))
      throw new MeshValidationError(`${child.node.path}: every chart of the platform must be a LayerChart, so that it has a Flux layer`);
    const layer = child.layer;
    const objects = child.node
      .findAll()
      .filter((c): c is ApiObject => c instanceof ApiObject)
      .map((o) => o.toJson() as KubeObject);
    return { id: child.node.id, layer, objects };
  });
  // An object declared identically by two charts (a shared HelmRepository) is kept once, in the
  // earlier layer; two different objects with one identity would fight, so that is an error.
  // (Compared as JSON only when an identity comes twice: most objects are never turned into text here.)
  const owner = new Map<string, { chart: string; object: KubeObject }>();
  const rendered = LAYERS.flatMap((layer) => charts.filter((c) => c.layer === layer)).map((chart) => ({
    ...chart,
    objects: chart.objects.filter((o) => {
      const key = objectKey(o);
      const previous = owner.get(key);
      if (!previous) return (owner.set(key, { chart: chart.id, object: o }), true);
      if (JSON.stringify(previous.object) === JSON.stringify(o)) return false;
      throw new MeshValidationError(
        `${key} is generated twice, differently, by chart '${previous.chart}' and by chart '${chart.id}'; two writers of one object fight, so keep one`,
      );
    }),
  }));
  // Every object must be applicable when its layer is (a CR after the release that installs its CRD),
  // and the mesh's rules hold on the whole output.
  if (options.analysis === false) return rendered;
  const objects = rendered.flatMap((c) => c.objects);
  const { findings } = analyze({ app, charts: rendered, objects, clusterApiGroups: options.clusterApiGroups });
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) throw new AnalysisError(errors);
  for (const f of findings) {
    const chart = rendered.find((c) =>
      c.objects.some((o) => f.object.endsWith(`${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`)),
    );
    const scope = chart ? app.node.findChild(chart.id) : app;
    if (!scope.node.metadata.some((m) => m.data === formatFinding(f))) warn(scope, formatFinding(f));
  }
  return rendered;
}

/**
 * The Flux tree of one environment: `<layer>/<chart>.yaml` for every chart and a
 * `<layer>/kustomization.yaml` listing them. Keys are paths relative to `dist/<env>/`.
 */
export function renderFluxTree(charts: readonly RenderedChart[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const layer of LAYERS) {
    const inLayer = charts.filter((c) => c.layer === layer && c.objects.length > 0);
    if (inLayer.length === 0) continue;
    for (const chart of inLayer) files.set(`${layer}/${chart.id}.yaml`, stringifyYaml(...chart.objects));
    files.set(
      `${layer}/kustomization.yaml`,
      stringifyYaml({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resources: inLayer.map((c) => `${c.id}.yaml`),
      }),
    );
  }
  return files;
}
