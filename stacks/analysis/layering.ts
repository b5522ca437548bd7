import { Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { Layer, LayerChart, LAYERS } from '../../charts';
import { HelmComponent } from '../../constructs';
import { KubeObject, objectKey } from '../../constructs/core/kube-object';

/**
 * The API groups every Kubernetes API server serves itself (`''` is the core group, `v1`): the groups
 * with REST paths in the Kubernetes 1.36 OpenAPI document (`../shared/crds/kubernetes-openapi-v2.json`).
 * Versions are not checked here (the conformance check does that).
 */
export const KUBERNETES_API_GROUPS: ReadonlySet<string> = new Set([
  '',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'apps',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'internal.apiserver.k8s.io',
  'networking.k8s.io',
  'node.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'resource.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
  'storagemigration.k8s.io',
]);

/**
 * The API groups of Flux's own controllers, whose CRDs exist before any layer: `flux bootstrap`
 * (or, with Pulumi in gitops mode, the flux2 chart) installs them. In push mode the Pulumi program
 * turns HelmRepository and HelmRelease into Helm releases of its own.
 */
export const FLUX_API_GROUPS: ReadonlySet<string> = new Set([
  'source.toolkit.fluxcd.io',
  'kustomize.toolkit.fluxcd.io',
  'helm.toolkit.fluxcd.io',
  'notification.toolkit.fluxcd.io',
  'image.toolkit.fluxcd.io',
]);

/** The API group of an `apiVersion` (`''` for the core group's `v1`). */
export function apiGroupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** A Helm component of the platform that installs the CRDs of some API groups, and where it is. */
export interface CrdInstaller {
  /** The component. */
  readonly component: HelmComponent;
  /** The id of the chart declaring it. */
  readonly chart: string;
  /** The chart's layer. */
  readonly layer: Layer;
}

/** The Helm components of the tree, in construct order. */
function helmComponents(app: IConstruct): HelmComponent[] {
  return app.node.findAll().filter((c): c is HelmComponent => c instanceof HelmComponent);
}

/**
 * Every Helm component of the app that installs CRDs ({@link HelmComponent.crdApiGroups}), by API group,
 * in construct order.
 * @param components the app's Helm components, when the caller has them already
 * @default components - every HelmComponent of the app's tree
 */
export function crdInstallers(app: IConstruct, components: readonly HelmComponent[] = helmComponents(app)): Map<string, CrdInstaller[]> {
  const installers = new Map<string, CrdInstaller[]>();
  for (const component of components) {
    const chart = Chart.of(component);
    if (!LayerChart.isLayerChart(chart)) continue;
    for (const group of component.crdApiGroups) {
      const list = installers.get(group) ?? [];
      list.push({ component, chart: chart.node.id, layer: chart.layer });
      installers.set(group, list);
    }
  }
  return installers;
}

/** The objects of one chart, as the layering check reads them. */
export interface LayeredChart {
  readonly id: string;
  readonly layer: Layer;
  readonly objects: readonly KubeObject[];
}

/**
 * Checks that every object can be applied when its layer is, on an empty cluster, by Flux (which
 * dry-runs a whole layer before applying any of it) and by the Pulumi program alike:
 * - its API group is served by Kubernetes itself, by Flux's own controllers, by a
 *   CustomResourceDefinition of the same or an earlier layer (applied first within a layer), or by a
 *   Helm component of an EARLIER layer (a chart's CRDs exist only once its release is installed);
 * - a Helm release installed into a namespace the platform declares is in that namespace's layer or a
 *   later one (else Helm creates the namespace without its labels, such as `istio-injection`).
 *
 * @param clusterApiGroups API groups the cluster serves before any layer (CRDs installed outside the app)
 * @returns one problem per line, naming the object, its chart and layer, what installs its CRD and the fix;
 *   empty when the layering is sound
 */
export function checkLayering(app: IConstruct, charts: readonly LayeredChart[], clusterApiGroups: readonly string[] = []): string[] {
  return layeringProblems(app, charts, clusterApiGroups).map((p) => p.message);
}

/** A problem of {@link checkLayering}: the object at fault (none for a Helm release: its construct path is named). */
export interface LayeringProblem {
  readonly rule: 'crd-order' | 'release-namespace';
  readonly target?: KubeObject;
  readonly where?: string;
  readonly message: string;
}

/** {@link checkLayering}, with the rule and the object of each problem. */
export function layeringProblems(
  app: IConstruct,
  charts: readonly LayeredChart[],
  clusterApiGroups: readonly string[] = [],
): LayeringProblem[] {
  const problems: LayeringProblem[] = [];
  const rank = (layer: Layer) => LAYERS.indexOf(layer);
  // One walk of the construct tree for both rules.
  const components = helmComponents(app);
  const installers = crdInstallers(app, components);
  const crdObjects = new Map<string, { chart: string; layer: Layer }>();
  const namespaces = new Map<string, { chart: string; layer: Layer }>();
  for (const chart of charts) {
    for (const o of chart.objects) {
      if (o.kind === 'CustomResourceDefinition' && apiGroupOf(o.apiVersion) === 'apiextensions.k8s.io') {
        const group = (o.spec as { group?: string } | undefined)?.group;
        if (group && !crdObjects.has(group)) crdObjects.set(group, { chart: chart.id, layer: chart.layer });
      }
      if (o.kind === 'Namespace' && apiGroupOf(o.apiVersion) === '' && !namespaces.has(o.metadata.name))
        namespaces.set(o.metadata.name, { chart: chart.id, layer: chart.layer });
    }
  }
  const later = (layer: Layer) => LAYERS.slice(rank(layer) + 1).filter((l) => l !== Layer.FLUX_SYSTEM);

  for (const chart of charts) {
    for (const o of chart.objects) {
      const group = apiGroupOf(o.apiVersion);
      if (KUBERNETES_API_GROUPS.has(group) || FLUX_API_GROUPS.has(group) || clusterApiGroups.includes(group)) continue;
      const crd = crdObjects.get(group);
      if (crd && rank(crd.layer) <= rank(chart.layer)) continue;
      const providers = installers.get(group) ?? [];
      if (providers.some((p) => rank(p.layer) < rank(chart.layer))) continue;
      const where = `${objectKey(o)} (chart '${chart.id}', layer ${chart.layer})`;
      const installer: { readonly chart: string; readonly layer: Layer; readonly component?: HelmComponent } | undefined =
        providers[0] ?? crd;
      if (!installer) {
        problems.push({
          rule: 'crd-order',
          target: o,
          message:
            `${where}: no component of the platform installs the CRD of API group '${group}', and neither Kubernetes nor Flux serves it, so the layer can never apply ("no matches for kind ${o.kind}"); ` +
            `declare the group in crdApiGroups of the HelmComponent whose chart installs it, in an earlier layer, or add its CustomResourceDefinition to this layer or an earlier one ` +
            `(or, when the cluster already has the CRD, pass the group in renderCharts' clusterApiGroups)`,
        });
        continue;
      }
      const by = installer.component
        ? `the Helm release '${installer.component.releaseName}' (${installer.component.node.path}, chart '${installer.chart}')`
        : `a CustomResourceDefinition of chart '${installer.chart}'`;
      const position = installer.layer === chart.layer ? `the same layer ${installer.layer}` : `the later layer ${installer.layer}`;
      const targets = later(installer.layer);
      problems.push({
        rule: 'crd-order',
        target: o,
        message:
          `${where}: its CRD (API group '${group}') is installed by ${by} in ${position}; ` +
          `${installer.component ? 'Flux dry-runs a whole layer before helm-controller installs its releases' : 'that CRD is applied only with its own layer'}, so this layer could never apply ("no matches for kind ${o.kind}"); ` +
          `move the object to a chart of a later layer (${targets.length > 0 ? targets.join(', ') : 'none is left: move the component instead'}) or the component to an earlier one`,
      });
    }
  }

  for (const component of components) {
    const chart = Chart.of(component);
    if (!LayerChart.isLayerChart(chart)) continue;
    const namespace = namespaces.get(component.namespace);
    if (!namespace || rank(namespace.layer) <= rank(chart.layer)) continue;
    problems.push({
      rule: 'release-namespace',
      where: component.node.path,
      message:
        `${component.node.path}: the Helm release '${component.releaseName}' (chart '${chart.node.id}', layer ${chart.layer}) installs into namespace '${component.namespace}', which the platform declares in the later layer ${namespace.layer} (chart '${namespace.chart}'); ` +
        `Helm would create the namespace first, without its labels (such as istio-injection), and its pods would start without them; declare the Namespace in layer ${chart.layer} or an earlier one, or move the component to layer ${namespace.layer}`,
    });
  }
  return problems;
}
