import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';

/**
 * The Flux layers of an environment, in the order they are applied: each layer's Flux
 * `Kustomization` depends on the one before it (and waits for its health), and the Pulumi program
 * declares the same order. This is the one place layers are defined.
 *
 * The order follows one rule, for both engines: a custom resource is never in the layer of (or a
 * layer before) the component whose Helm chart installs its CRD. Flux's kustomize-controller
 * dry-runs every object of a layer before applying any; a chart's CRDs exist only once
 * helm-controller has installed the release, after its layer was applied. So controllers come
 * first and the objects that configure them in a later layer, as in the Flux community's reference
 * layout (infrastructure controllers, infrastructure configs, apps). `renderCharts` checks the rule.
 */
export enum Layer {
  /** Flux's own sources and the Kustomizations of the other layers (gitops delivery only). */
  FLUX_SYSTEM = 'flux-system',
  /** Controllers that install CRDs everything else uses: Istio base (and CNI), cert-manager. */
  INFRASTRUCTURE = 'infrastructure',
  /**
   * The Istio control plane and gateways, and the mesh's own configuration (its Istio and
   * cert-manager resources, whose CRDs the infrastructure layer installed).
   */
  MESH = 'mesh',
  /** Platform controllers on the mesh: Flagger and its load tester, the observability stack. */
  PLATFORM = 'platform',
  /**
   * Objects that configure the platform's controllers and whose CRDs those controllers' charts
   * install: Flagger's shared MetricTemplates and AlertProviders.
   */
  PLATFORM_CONFIGS = 'platform-configs',
  /** Applications, their routes, canaries and zero-trust policies. */
  APPS = 'apps',
}

/** Every layer, in apply order. */
export const LAYERS: readonly Layer[] = [
  Layer.FLUX_SYSTEM,
  Layer.INFRASTRUCTURE,
  Layer.MESH,
  Layer.PLATFORM,
  Layer.PLATFORM_CONFIGS,
  Layer.APPS,
];

const LAYER_CHART = Symbol.for('mesh.LayerChart');

/** Properties of a {@link LayerChart}. */
export interface LayerChartProps extends ChartProps {
  /** The Flux layer the chart's objects are applied in. */
  readonly layer: Layer;
}

/**
 * A chart that knows its Flux layer. Its objects are written to `dist/<env>/<layer>/<chart id>.yaml`
 * and declared by the Pulumi program after every object of the layers before it.
 */
export class LayerChart extends Chart {
  /**
   * True when `x` is a LayerChart. (`instanceof` cannot tell: cdk8s's Chart answers it for every chart.)
   */
  static isLayerChart(x: unknown): x is LayerChart {
    return typeof x === 'object' && x !== null && LAYER_CHART in x;
  }

  /** The layer this chart's objects belong to. */
  readonly layer: Layer;

  constructor(scope: Construct, id: string, props: LayerChartProps) {
    super(scope, id, { disableResourceNameHashes: true, ...props });
    this.layer = props.layer;
    Object.defineProperty(this, LAYER_CHART, { value: true });
  }
}
