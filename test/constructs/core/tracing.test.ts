import { Chart, Testing } from 'cdk8s';
import { IstioBase, Istiod, TracingProtocol } from '../../../constructs';

describe('TracingProtocol', () => {
  test('ALL lists OpenTelemetry and Zipkin by the names of Istio extension providers', () => {
    expect(TracingProtocol.ALL).toEqual([TracingProtocol.OPENTELEMETRY, TracingProtocol.ZIPKIN]);
    expect(TracingProtocol.ALL.map((p) => p.name)).toEqual(['opentelemetry', 'zipkin']);
    expect(`${TracingProtocol.ZIPKIN}`).toBe('zipkin');
  });

  test.each([
    [TracingProtocol.OPENTELEMETRY, 4317],
    [TracingProtocol.ZIPKIN, 9411],
  ])('istiod declares a %s extension provider under its name', (protocol, port) => {
    const c = new Chart(Testing.app(), 'test');
    const service = 'collector.tracing.svc.cluster.local';
    const istiod = new Istiod(c, 'istiod', { base: new IstioBase(c, 'base'), tracing: { name: 'traces', protocol, service, port } });
    expect(istiod.typedValues.meshConfig?.extensionProviders).toEqual([{ name: 'traces', [protocol.name]: { service, port } }]);
  });
});
