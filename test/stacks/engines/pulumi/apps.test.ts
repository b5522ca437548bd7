import { buildPlatform } from '../../../../stacks/composition/platform';
import { declarePlatform } from '../../../../stacks/engines/pulumi/program';
import { renderCharts } from '../../../../stacks/engines/render';
import { declareUnderMocks, kindAndName as key, layerOf } from '../../../support/pulumi-mocks';
import { shopEnvironment } from '../../../support/shop';

describe('the Pulumi program on mesh:apps (the shop)', () => {
  test('declares every object of the shop, in layer apps, as the synth renders them', async () => {
    const declared = await declareUnderMocks(() => declarePlatform({ ...shopEnvironment(), delivery: 'push' }));
    const shopObjects = declared.filter(
      (d) =>
        d.type.startsWith('kubernetes:') &&
        (d.inputs.metadata?.namespace === 'shop' || (d.inputs.kind === 'Namespace' && d.inputs.metadata?.name === 'shop')),
    );
    const synthesized = renderCharts(buildPlatform({ ...shopEnvironment(), delivery: 'push' }))
      .flatMap((c) => c.objects)
      .filter((o) => o.metadata.namespace === 'shop' || (o.kind === 'Namespace' && o.metadata.name === 'shop'));
    expect(shopObjects.map((d) => key(d.inputs)).sort()).toEqual(synthesized.map(key).sort());
    const kinds = new Set(shopObjects.map((d) => d.inputs.kind));
    for (const kind of [
      'Namespace',
      'ServiceAccount',
      'Service',
      'Deployment',
      'Canary',
      'Sidecar',
      'NetworkPolicy',
      'AuthorizationPolicy',
    ]) {
      expect(kinds).toContain(kind);
    }
    expect(shopObjects.find((d) => d.inputs.kind === 'Canary')!.inputs.spec.targetRef.name).toBe('web');
    for (const d of shopObjects) expect(layerOf(d)?.name).toBe('apps');
  });
});
