import { Chart, Testing } from 'cdk8s';
import { MeshConfigChart } from '../../../charts';
import { MeshApp, MtlsMode, ZeroTrustPolicy } from '../../../constructs';

describe('MtlsMode', () => {
  test('ALL lists the three PeerAuthentication modes by name', () => {
    expect(MtlsMode.ALL).toEqual([MtlsMode.STRICT, MtlsMode.PERMISSIVE, MtlsMode.DISABLE]);
    expect(MtlsMode.ALL.map((m) => m.name)).toEqual(['STRICT', 'PERMISSIVE', 'DISABLE']);
    expect(`${MtlsMode.PERMISSIVE}`).toBe('PERMISSIVE');
  });

  test.each(MtlsMode.ALL.map((m) => [m.name, m] as const))('MeshConfigChart renders %s as the mesh-wide mode', (name, mode) => {
    const chart = new MeshConfigChart(Testing.app(), 'mesh-config', { mtls: mode, tracingSampling: 1, accessLogging: false });
    const peer = Testing.synth(chart).find((o) => o.kind === 'PeerAuthentication');
    expect(peer).toEqual({
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'default', namespace: 'istio-system' },
      spec: { mtls: { mode: name } },
    });
  });

  test('a port exception renders the mode by name', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'demo' });
    const httpbin = new MeshApp(chart, 'httpbin', { image: 'go-httpbin:v2', ports: [{ port: 8000, targetPort: 8080 }] });
    const policy = new ZeroTrustPolicy(chart, 'zero-trust', { apps: [httpbin], mtls: MtlsMode.PERMISSIVE });
    policy.addMtlsException(httpbin, 8000, MtlsMode.DISABLE);
    const peer = Testing.synth(chart).find((o) => o.kind === 'PeerAuthentication' && o.metadata.name === 'httpbin');
    expect(peer?.spec.portLevelMtls).toEqual({ 8080: { mode: 'DISABLE' } });
  });
});
