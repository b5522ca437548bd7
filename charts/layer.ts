import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';

/**
 * The Flux layers of an environment, in the order they are applied: each layer's Flux
 * `Kustomization` depends on the one before it, and the Pulumi program declares the same order.
 */
export enum Layer {
  /** Flux's own sources and the Kustomizations of the other layers. */
  FLUX_SYSTEM = 'flux-system',
  /** Namespaces, CRDs and cluster services everything else needs (Istio base, cert-manager). */
  INFRASTRUCTURE = 'infrastructure',
  /** The Istio control plane, gateways and mesh-wide policy. */
  MESH = 'mesh',
  /** Platform services on the mesh: progressive delivery, observability. */
  PLATFORM = 'platform',
  /** Applications. */
  APPS = 'apps',
}

/** Every layer, in apply order. */
export const LAYERS: readonly Layer[] = [Layer.FLUX_SYSTEM, Layer.INFRASTRUCTURE, Layer.MESH, Layer.PLATFORM, Layer.APPS];

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
