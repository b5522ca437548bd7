import { Chart, Testing } from 'cdk8s';
import { ISTIO_PROFILES, IstioBase, IstioCni, Istiod, IstioProfile } from '../../../constructs';

describe('IstioProfile', () => {
  test('ALL lists default and openshift by their config names', () => {
    expect(IstioProfile.ALL).toEqual([IstioProfile.DEFAULT, IstioProfile.OPENSHIFT]);
    expect(IstioProfile.ALL.map((p) => p.name)).toEqual(['default', 'openshift']);
    expect(ISTIO_PROFILES).toBe(IstioProfile.ALL);
    expect(`${IstioProfile.OPENSHIFT}`).toBe('openshift');
  });

  test.each([
    [IstioProfile.OPENSHIFT, 'openshift'],
    [IstioProfile.DEFAULT, undefined],
    [undefined, undefined],
  ])('profile %s renders the platform value %s', (profile, platform) => {
    const c = new Chart(Testing.app(), 'test');
    const base = new IstioBase(c, 'base', { profile });
    new IstioCni(c, 'cni', { base, profile });
    new Istiod(c, 'istiod', { base, profile, cni: true });
    const values = Object.fromEntries(
      Testing.synth(c)
        .filter((o) => o.kind === 'HelmRelease')
        .map((o) => [o.metadata.name, o.spec.values ?? {}]),
    );
    expect(values['istio-base'].platform).toBe(platform);
    expect(values['istio-cni']?.global?.platform).toBe(platform);
    expect(values.istiod.global.platform).toBe(platform);
  });

  test("fails when a JavaScript caller passes the profile's name instead of the class", () => {
    expect(() => new IstioBase(new Chart(Testing.app(), 'test'), 'base', { profile: 'openshift' as unknown as IstioProfile })).toThrow(
      "IstioBase test/base: profile 'openshift' is not allowed; use one of IstioProfile.DEFAULT, IstioProfile.OPENSHIFT",
    );
  });
});
