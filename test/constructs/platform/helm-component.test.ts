import { Chart, Testing } from 'cdk8s';
import { HelmComponent, HelmCrdPolicy } from '../../../constructs';

describe('HelmCrdPolicy', () => {
  test('ALL lists CreateReplace and Skip by the names Flux reads', () => {
    expect(HelmCrdPolicy.ALL).toEqual([HelmCrdPolicy.CREATE_REPLACE, HelmCrdPolicy.SKIP]);
    expect(HelmCrdPolicy.ALL.map((p) => p.name)).toEqual(['CreateReplace', 'Skip']);
    expect(`${HelmCrdPolicy.SKIP}`).toBe('Skip');
  });

  test.each([
    [HelmCrdPolicy.CREATE_REPLACE, 'CreateReplace'],
    [HelmCrdPolicy.SKIP, 'Skip'],
    [undefined, 'CreateReplace'],
  ])('crds %s renders install.crds and upgrade.crds %s', (crds, rendered) => {
    const chart = new Chart(Testing.app(), 'test');
    const repository = { name: 'example', url: 'https://charts.example.com' };
    const component = new HelmComponent(chart, 'widgets', { repository, chart: 'widgets', version: '1.0.0', namespace: 'widgets', crds });
    expect(component.crds).toBe(crds ?? HelmCrdPolicy.CREATE_REPLACE);
    const release = Testing.synth(chart).find((o) => o.kind === 'HelmRelease');
    expect(release.spec.install.crds).toBe(rendered);
    expect(release.spec.upgrade.crds).toBe(rendered);
  });
});
