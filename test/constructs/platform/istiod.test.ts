import { Chart, Testing } from 'cdk8s';
import { IstioBase, Istiod, MeshApp, MeshOutboundTrafficMode, SidecarOutboundMode, ZeroTrustPolicy } from '../../../constructs';

describe('MeshOutboundTrafficMode', () => {
  test('ALL lists ALLOW_ANY and REGISTRY_ONLY by their meshConfig names', () => {
    expect(MeshOutboundTrafficMode.ALL).toEqual([MeshOutboundTrafficMode.ALLOW_ANY, MeshOutboundTrafficMode.REGISTRY_ONLY]);
    expect(MeshOutboundTrafficMode.ALL.map((m) => m.name)).toEqual(['ALLOW_ANY', 'REGISTRY_ONLY']);
    expect(`${MeshOutboundTrafficMode.ALLOW_ANY}`).toBe('ALLOW_ANY');
  });

  test.each([
    [MeshOutboundTrafficMode.ALLOW_ANY, 'ALLOW_ANY'],
    [MeshOutboundTrafficMode.REGISTRY_ONLY, 'REGISTRY_ONLY'],
    [undefined, 'REGISTRY_ONLY'],
  ])('outboundTrafficPolicy %s renders meshConfig.outboundTrafficPolicy.mode %s', (outboundTrafficPolicy, rendered) => {
    const c = new Chart(Testing.app(), 'test');
    new Istiod(c, 'istiod', { base: new IstioBase(c, 'base'), outboundTrafficPolicy });
    const release = Testing.synth(c).find((o) => o.kind === 'HelmRelease' && o.metadata.name === 'istiod');
    expect(release.spec.values.meshConfig.outboundTrafficPolicy).toEqual({ mode: rendered });
  });

  test.each(MeshOutboundTrafficMode.ALL.map((m) => [m.name, m] as const))(
    "ZeroTrustPolicy's Sidecars take the same modes: %s (SidecarOutboundMode is the same class)",
    (name, outboundTrafficPolicy) => {
      expect(SidecarOutboundMode).toBe(MeshOutboundTrafficMode);
      const chart = new Chart(Testing.app(), 'test', { namespace: 'demo' });
      const app = new MeshApp(chart, 'httpbin', { image: 'go-httpbin:v2', ports: [{ port: 8000 }] });
      new ZeroTrustPolicy(chart, 'zero-trust', { apps: [app], outboundTrafficPolicy });
      const sidecar = Testing.synth(chart).find((o) => o.kind === 'Sidecar');
      expect(sidecar.spec.outboundTrafficPolicy).toEqual({ mode: name });
    },
  );
});
