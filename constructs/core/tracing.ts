import { Variant } from './variant';

/** The wire protocol a {@link TracingProvider} receives spans in: the key of its mesh `extensionProvider`. */
export class TracingProtocol extends Variant<'opentelemetry' | 'zipkin'> {
  /** OpenTelemetry, OTLP over gRPC (a collector usually listens on 4317). */
  static readonly OPENTELEMETRY = new TracingProtocol('opentelemetry');
  /** Zipkin's HTTP API (a collector usually listens on 9411). */
  static readonly ZIPKIN = new TracingProtocol('zipkin');

  /** Every protocol. */
  static readonly ALL: readonly TracingProtocol[] = [TracingProtocol.OPENTELEMETRY, TracingProtocol.ZIPKIN];

  /** @param name - The provider kind in Istio's meshConfig `extensionProviders`, e.g. `opentelemetry`. */
  private constructor(name: TracingProtocol['name']) {
    super(name);
  }
}

/**
 * A tracing backend the proxies report spans to: a mesh `extensionProvider` that istiod declares, that the
 * mesh-wide `Telemetry` names and that every Sidecar and NetworkPolicy lets the proxies reach. The one type
 * of it; the observability stack's Jaeger is one ({@link jaegerTracingProvider}).
 */
export interface TracingProvider {
  /** The provider name that `Telemetry` resources refer to. */
  readonly name: string;
  /** The wire protocol: OpenTelemetry (OTLP gRPC) or Zipkin. */
  readonly protocol: TracingProtocol;
  /** The collector's Service, fully qualified: `jaeger-collector.istio-system.svc.cluster.local`. */
  readonly service: string;
  /** The collector's port (4317 for OTLP gRPC, 9411 for Zipkin). */
  readonly port: number;
}
