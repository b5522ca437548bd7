import { Construct } from 'constructs';
import { PeerAuthentication } from '../imports/security.istio.io';
import { JAEGER_TRACING_PROVIDER, meshDefaultTelemetry } from '../constructs/observability/observability-stack';
import { ISTIO_SYSTEM_NAMESPACE } from '../constructs/core/namespaces';
import { MtlsMode } from '../constructs/security/mtls-mode';
import { Layer, LayerChart } from './layer';

/** The namespace of Istio's control plane, whose policies apply mesh-wide. */
export const ISTIO_ROOT_NAMESPACE = ISTIO_SYSTEM_NAMESPACE;

/** Properties of a {@link MeshConfigChart}. */
export interface MeshConfigChartProps {
  /** Mesh-wide mTLS mode (`mesh:istio.mtls`): the mode of the root namespace's default PeerAuthentication. */
  readonly mtls: MtlsMode;
  /** Percentage of requests traced, 0-100. */
  readonly tracingSampling: number;
  /** Envoy access logs to stdout. */
  readonly accessLogging: boolean;
  /**
   * The tracing extension provider (declared in meshConfig by the Istio installation) spans go to.
   * @default JAEGER_TRACING_PROVIDER ('jaeger', the ObservabilityStack's Jaeger)
   */
  readonly tracingProvider?: string;
}

/**
 * Mesh-wide policy in the root namespace: the default PeerAuthentication (mTLS mode) and the default
 * Telemetry (trace sampling, access logging).
 */
export class MeshConfigChart extends LayerChart {
  constructor(scope: Construct, id: string, props: MeshConfigChartProps) {
    super(scope, id, { layer: Layer.MESH, namespace: ISTIO_ROOT_NAMESPACE });
    new PeerAuthentication(this, 'default-peer-authentication', {
      metadata: { name: 'default' },
      spec: { mtls: { mode: props.mtls._render() } },
    });
    meshDefaultTelemetry(this, 'mesh-default-telemetry', {
      rootNamespace: ISTIO_ROOT_NAMESPACE,
      tracingProvider: props.tracingProvider ?? JAEGER_TRACING_PROVIDER,
      samplingPercentage: props.tracingSampling,
      accessLogging: props.accessLogging,
    });
  }
}
