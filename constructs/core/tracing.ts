/**
 * A tracing backend the proxies report spans to: a mesh `extensionProvider` that istiod declares, that the
 * mesh-wide `Telemetry` names and that every Sidecar and NetworkPolicy lets the proxies reach. The one type
 * of it; the observability stack's Jaeger is one ({@link jaegerTracingProvider}).
 */
export interface TracingProvider {
  /** The provider name that `Telemetry` resources refer to. */
  readonly name: string;
  /** The wire protocol: OpenTelemetry (OTLP gRPC) or Zipkin. */
  readonly protocol: 'opentelemetry' | 'zipkin';
  /** The collector's Service, fully qualified: `jaeger-collector.istio-system.svc.cluster.local`. */
  readonly service: string;
  /** The collector's port (4317 for OTLP gRPC, 9411 for Zipkin). */
  readonly port: number;
}
