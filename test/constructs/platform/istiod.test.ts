import { Chart, Testing } from 'cdk8s';
import { IstioBase, Istiod, MeshOutboundTrafficMode } from '../../../constructs';

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
});
