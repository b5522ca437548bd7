import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { Layer, LAYERS } from '../../../charts';
import { App } from 'cdk8s';
import { FLUX_NAMESPACE, GatewayDirection, HelmComponent, HelmCrdPolicy, IstioGateway, ObservabilityStack } from '../../../constructs';
import { ConfigError, EnvironmentConfig } from '../../environments';
import { buildPlatform } from '../../composition/platform';
import { apiGroupOf, crdInstallers } from '../../analysis/layering';
import { KubeObject, RenderedChart, objectKey, renderCharts } from '../render';

/** The Pulumi type token of a layer's component resource. */
export const LAYER_TYPE = 'mesh:platform:Layer';
/** The Pulumi type token of a chart's component resource. */
export const CHART_TYPE = 'mesh:platform:Chart';

/**
 * How the push engine declares the rendered model. Engine-specific differences from the Flux tree,
 * and only these:
 * - a Flux `HelmRelease` becomes a Pulumi Helm release (same chart, version, repository, values,
 *   namespace and dependencies), and the Flux `HelmRepository` it reads is folded into it;
 * - `push` mode leaves out the `flux-system` layer (no Flux runs); `gitops` mode declares only the
 *   Flux installation and the `flux-system` layer, and Flux applies every other layer from Git;
 * - what Flux does within a layer (CRDs and Namespaces first, HelmRelease `dependsOn`) are explicit
 *   edges: a custom resource depends on the Helm release (or CustomResourceDefinition) that installs
 *   its CRD, a Helm release on the Namespace object it installs into (so that the namespace has its
 *   labels, such as `istio-injection`, before the chart's pods start);
 * - in `push` mode every Kubernetes resource is declared with `retainOnDelete`
 *   ({@link PUSH_RETAIN_ON_DELETE}): Pulumi never deletes a platform object from the cluster, so a change of
 *   `mesh:delivery` to `gitops` hands the running platform over to Flux instead of deleting it.
 */
export interface DeclaredPlatform {
  /** One component resource per layer, in apply order. */
  readonly layers: ReadonlyMap<Layer, pulumi.ComponentResource>;
  /** The identity (`objectKey`) of every Kubernetes object declared as a resource of its own. */
  readonly objects: readonly string[];
  /** The Helm releases declared (`<namespace>/<release>`). */
  readonly helmReleases: readonly string[];
  /** The ingress gateway's Service, and (push mode) its external address once the load balancer has one. */
  readonly ingressGateway?: { readonly service: string; readonly address?: pulumi.Output<string | undefined> };
  /** In-cluster addresses of the observability UIs, when the platform has them. */
  readonly endpoints: Readonly<Record<string, string>>;
}

/**
 * Push mode declares every Kubernetes resource (Helm releases and objects) with `retainOnDelete`:
 * when a resource leaves the program (`mesh:delivery` changed to gitops, a chart turned off,
 * `pulumi destroy`), Pulumi forgets it and leaves it running. Switching to gitops would otherwise
 * delete the whole running platform, Istio and its CRDs included, before Flux reinstalls it.
 * Remove something for good with `kubectl delete` or `helm uninstall` (README, "Deploy with Pulumi").
 */
export const PUSH_RETAIN_ON_DELETE = true;

/** The Flux installation gitops mode declares (fluxcd-community's chart of the Flux controllers). */
export const FLUX_CHART = { chart: 'flux2', version: '2.17.0', repo: 'https://fluxcd-community.github.io/helm-charts' } as const;

/**
 * Values of {@link FLUX_CHART}: the controllers the platform's objects use (source, kustomize, helm, notification),
 * as `flux install` installs them. The chart also creates the image reflection and image automation controllers by
 * default (with their CRDs); the platform has no ImagePolicy or ImageUpdateAutomation, so they are left out
 * (200m and 128Mi of requests that would do nothing).
 */
export const FLUX_VALUES = { imageAutomationController: { create: false }, imageReflectionController: { create: false } } as const;

/** A group of resources in the Pulumi resource tree. */
class Group extends pulumi.ComponentResource {
  constructor(type: string, name: string, outputs: Record<string, unknown>, opts?: pulumi.ComponentResourceOptions) {
    super(type, name, {}, opts);
    this.registerOutputs(outputs);
  }
}

/**
 * Declares one environment's platform as Pulumi resources: the same construct tree `cdk8s synth`
 * writes, layer by layer, each layer depending on every layer before it.
 */
export function declarePlatform(config: EnvironmentConfig, provider?: k8s.Provider): DeclaredPlatform {
  if (config.delivery === 'gitops' && !config.gitops) {
    throw new ConfigError([
      `Pulumi.${config.name}.yaml: mesh:delivery is gitops but mesh:gitops is not set, so Flux would have no repository to read; add mesh:gitops.url (ssh:// or https://) or set mesh:delivery: push`,
    ]);
  }
  return declareApp(buildPlatform(config), config, provider);
}

/**
 * Declares the charts of a construct tree (an environment's {@link buildPlatform}, or any app of
 * LayerCharts) as Pulumi resources, as {@link declarePlatform} describes.
 */
export function declareApp(app: App, config: Pick<EnvironmentConfig, 'delivery'>, provider?: k8s.Provider): DeclaredPlatform {
  const charts = renderCharts(app);
  // The Helm releases come from the model (HelmComponent), not from the rendered Flux objects.
  const components = new Map(
    app.node
      .findAll()
      .filter((c): c is HelmComponent => c instanceof HelmComponent)
      .map((c) => [c.helmRelease.name, c]),
  );
  const layersToDeclare = config.delivery === 'push' ? LAYERS.filter((l) => l !== Layer.FLUX_SYSTEM) : [Layer.FLUX_SYSTEM];
  const layers = new Map<Layer, pulumi.ComponentResource>();
  const objects: string[] = [];
  const helmReleases: string[] = [];
  const releases = new Map<string, k8s.helm.v3.Release>();
  let previous: pulumi.Resource[] = [];

  if (config.delivery === 'gitops') {
    const flux = new Group(LAYER_TYPE, 'flux-install', { chart: FLUX_CHART.chart }, { provider });
    new k8s.helm.v3.Release(
      'flux',
      {
        name: 'flux',
        chart: FLUX_CHART.chart,
        version: FLUX_CHART.version,
        repositoryOpts: { repo: FLUX_CHART.repo },
        namespace: FLUX_NAMESPACE,
        createNamespace: true,
        values: FLUX_VALUES,
      },
      { parent: flux, provider },
    );
    helmReleases.push(`${FLUX_NAMESPACE}/flux`);
    previous = [flux];
  }

  // Edges Flux gets from its apply order within a layer, made explicit for Pulumi (push mode only
  // declares these kinds: the flux-system layer holds Flux objects and no Namespace or CRD).
  const installers = crdInstallers(app);
  const namespaces = new Map<string, pulumi.Output<pulumi.Resource>>();
  const crds = new Map<string, { readonly layer: Layer; readonly resource: pulumi.Output<pulumi.Resource> }>();
  const retainOnDelete = config.delivery === 'push' && PUSH_RETAIN_ON_DELETE;
  const rank = (l: Layer) => LAYERS.indexOf(l);
  /**
   * What an object of `layer` waits for besides the earlier layers: the releases of earlier layers and
   * the CRD of the same or an earlier layer that install its kind (renderCharts checked one exists).
   * Called when the ConfigGroup is parsed, after the whole program is declared: later layers are left out.
   */
  const crdDependencies = (o: KubeObject, layer: Layer): pulumi.Input<pulumi.Resource>[] => {
    const group = apiGroupOf(o.apiVersion);
    const fromReleases = (installers.get(group) ?? [])
      .filter((i) => rank(i.layer) < rank(layer))
      .flatMap((i) => releases.get(i.component.helmRelease.name) ?? []);
    const crd = crds.get(group);
    const fromCrd = crd && o.kind !== 'CustomResourceDefinition' && rank(crd.layer) <= rank(layer) ? [crd.resource] : [];
    return [...fromReleases, ...fromCrd];
  };

  for (const layer of layersToDeclare) {
    const inLayer = charts.filter((c) => c.layer === layer && c.objects.length > 0);
    if (inLayer.length === 0) continue;
    const group = new Group(LAYER_TYPE, layer, { charts: inLayer.map((c) => c.id) }, { provider, dependsOn: previous });
    const chartGroups = new Map(
      inLayer.map((chart) => [chart, new Group(CHART_TYPE, chart.id, { objects: chart.objects.length }, { parent: group, provider })]),
    );
    // First the plain objects of every chart of the layer, so that the releases below can wait for
    // the Namespace they install into, wherever in the layer it is declared.
    for (const chart of inLayer) {
      const plain = chart.objects.filter((o) => o.kind !== 'HelmRelease' && o.kind !== 'HelmRepository');
      if (plain.length === 0) continue;
      // A component's dependsOn does not reach its children: every object gets it itself.
      const after = previous;
      const configGroup = new k8s.yaml.ConfigGroup(
        chart.id,
        {
          objs: plain,
          transformations: [
            (o: KubeObject, opts: pulumi.CustomResourceOptions) => {
              opts.dependsOn = [...after, ...crdDependencies(o, layer)];
              if (retainOnDelete) opts.retainOnDelete = true;
            },
          ],
        },
        { parent: chartGroups.get(chart), provider, dependsOn: after },
      );
      for (const o of plain) {
        if (o.kind === 'Namespace' && o.apiVersion === 'v1')
          namespaces.set(o.metadata.name, configGroup.getResource('v1/Namespace', o.metadata.name));
        const crdGroup = (o.spec as { group?: string } | undefined)?.group;
        if (o.kind === 'CustomResourceDefinition' && o.apiVersion === 'apiextensions.k8s.io/v1' && crdGroup && !crds.has(crdGroup)) {
          crds.set(crdGroup, {
            layer,
            resource: configGroup.getResource('apiextensions.k8s.io/v1/CustomResourceDefinition', o.metadata.name),
          });
        }
      }
      objects.push(...plain.map(objectKey));
    }
    for (const chart of inLayer) {
      for (const o of chart.objects.filter((x) => x.kind === 'HelmRelease')) {
        const component = components.get(o.metadata.name);
        if (!component)
          throw new Error(`HelmRelease ${objectKey(o)} is rendered by no HelmComponent; declare platform releases with HelmComponent`);
        const release = declareHelmRelease(component, releases, namespaces, {
          parent: chartGroups.get(chart),
          provider,
          dependsOn: previous,
          retainOnDelete: retainOnDelete || undefined,
        });
        helmReleases.push(release);
      }
    }
    layers.set(layer, group);
    previous = [...previous, group];
  }
  return { layers, objects, helmReleases, ...outputsOf(app, config, releases, provider) };
}

/** Useful stack outputs, read from the construct tree (the gateway) and the cluster (its address). */
function outputsOf(
  app: App,
  config: Pick<EnvironmentConfig, 'delivery'>,
  releases: ReadonlyMap<string, k8s.helm.v3.Release>,
  provider?: k8s.Provider,
): Pick<DeclaredPlatform, 'ingressGateway' | 'endpoints'> {
  const constructs = app.node.findAll();
  const gateway = constructs.find((c): c is IstioGateway => c instanceof IstioGateway && c.direction === GatewayDirection.INGRESS);
  const stack = constructs.find((c): c is ObservabilityStack => c instanceof ObservabilityStack);
  const endpoints: Record<string, string> = stack
    ? { prometheus: stack.prometheusUrl, grafana: stack.grafanaUrl, jaeger: stack.jaegerQueryUrl, kiali: stack.kialiUrl }
    : {};
  if (!gateway) return { endpoints };
  const service = `${gateway.namespace}/${gateway.releaseName}`;
  const release = releases.get(gateway.releaseName);
  if (config.delivery !== 'push' || !release) return { ingressGateway: { service }, endpoints };
  // The gateway chart names its Service after the release; read it once the release is up.
  const svc = k8s.core.v1.Service.get('ingress-gateway', service, { provider, dependsOn: [release] });
  const address = svc.status.apply((st) => st?.loadBalancer?.ingress?.[0]?.ip ?? st?.loadBalancer?.ingress?.[0]?.hostname);
  return { ingressGateway: { service, address }, endpoints };
}

/**
 * A platform component as a Pulumi Helm release: the chart, version, repository, values, namespace and
 * timeout of the {@link HelmComponent} (the model Flux's HelmRelease is rendered from), after the releases
 * it depends on and the Namespace object it installs into, when the platform declares it.
 */
function declareHelmRelease(
  component: HelmComponent,
  declared: Map<string, k8s.helm.v3.Release>,
  namespaces: ReadonlyMap<string, pulumi.Output<pulumi.Resource>>,
  opts: pulumi.CustomResourceOptions,
): string {
  const { url } = component.repository;
  const name = component.releaseName;
  const namespace = component.namespace;
  const dependsOn = component.dependsOn.map((d) => {
    const release = declared.get(d.releaseName);
    if (!release) throw new Error(`HelmRelease ${name} depends on '${d.releaseName}', which is not declared before it`);
    return release;
  });
  const release = new k8s.helm.v3.Release(
    name,
    {
      name,
      namespace,
      createNamespace: true,
      chart: url.startsWith('oci://') ? `${url.replace(/\/$/, '')}/${component.chart}` : component.chart,
      version: component.version,
      repositoryOpts: url.startsWith('oci://') ? undefined : { repo: url },
      // As rendered: plain JSON, keys whose value is undefined left out.
      values: JSON.parse(JSON.stringify(component.values)) as Record<string, unknown>,
      skipCrds: component.crds === HelmCrdPolicy.SKIP,
      timeout: component.timeout.toSeconds(),
      atomic: true,
      cleanupOnFail: true,
    },
    {
      ...opts,
      dependsOn: [
        ...((opts.dependsOn as pulumi.Resource[]) ?? []),
        ...dependsOn,
        ...(namespaces.has(namespace) ? [namespaces.get(namespace)!] : []),
      ],
    },
  );
  declared.set(name, release);
  return `${namespace}/${name}`;
}

/** Charts of a rendered model that a delivery mode declares, for the parity check. */
export function chartsDeclaredBy(charts: readonly RenderedChart[], delivery: EnvironmentConfig['delivery']): RenderedChart[] {
  return charts.filter((c) => (delivery === 'push' ? c.layer !== Layer.FLUX_SYSTEM : c.layer === Layer.FLUX_SYSTEM));
}
