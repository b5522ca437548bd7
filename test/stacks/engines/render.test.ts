import { ApiObject, Testing } from 'cdk8s';
import { Layer, LayerChart } from '../../../charts';
import { renderCharts } from '../../../stacks/engines/render';

const repository = (url: string) => ({
  apiVersion: 'source.toolkit.fluxcd.io/v1',
  kind: 'HelmRepository',
  metadata: { name: 'example', namespace: 'flux-system' },
  spec: { interval: '1h', url },
});

describe('renderCharts: one object declared by two charts', () => {
  test('declared identically, it is kept once, in the earlier layer', () => {
    const app = Testing.app();
    // Added in the reverse of layer order: the layer decides, not the order of the charts.
    new ApiObject(new LayerChart(app, 'platform', { layer: Layer.PLATFORM }), 'repo', repository('https://charts.example.com'));
    new ApiObject(new LayerChart(app, 'infrastructure', { layer: Layer.INFRASTRUCTURE }), 'repo', repository('https://charts.example.com'));
    const charts = renderCharts(app, { analysis: false });
    expect(charts.map((c) => [c.id, c.objects.map((o) => o.metadata.name)])).toEqual([
      ['infrastructure', ['example']],
      ['platform', []],
    ]);
  });

  test('fails when two charts declare one identity differently, naming the object and both charts', () => {
    const app = Testing.app();
    new ApiObject(new LayerChart(app, 'infrastructure', { layer: Layer.INFRASTRUCTURE }), 'repo', repository('https://charts.example.com'));
    new ApiObject(new LayerChart(app, 'platform', { layer: Layer.PLATFORM }), 'repo', repository('https://mirror.example.com'));
    expect(() => renderCharts(app, { analysis: false })).toThrow(
      "source.toolkit.fluxcd.io/v1 HelmRepository flux-system/example is generated twice, differently, by chart 'infrastructure' and by chart 'platform'",
    );
  });
});
