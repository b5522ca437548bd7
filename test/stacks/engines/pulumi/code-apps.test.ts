import * as path from 'node:path';
import { buildPlatform } from '../../../../stacks/composition/platform';
import { loadEnvironmentFile } from '../../../../stacks/environments';
import { declareApp } from '../../../../stacks/engines/pulumi/program';
import { renderCharts } from '../../../../stacks/engines/render';
import { declareUnderMocks, kindAndName as key, layerOf } from '../../../support/pulumi-mocks';
import { REPO_ROOT } from '../../../support/shared-dir';
import { shopApps } from '../../../support/shop-apps';

const inShop = (o: { kind?: string; metadata?: { name?: string; namespace?: string } }) =>
  o.metadata?.namespace === 'shop' || (o.kind === 'Namespace' && o.metadata?.name === 'shop');

test('the Pulumi program declares the apps in code (the shop) in layer apps, as the synth renders them', async () => {
  const config = { ...loadEnvironmentFile(path.join(REPO_ROOT, 'Pulumi.prod.yaml')), delivery: 'push' as const };
  // What declarePlatform does, with the test-local registration instead of apps/index.ts.
  const declared = await declareUnderMocks(() => declareApp(buildPlatform(config, { apps: shopApps }), config));
  const shop = declared.filter((d) => d.type.startsWith('kubernetes:') && inShop(d.inputs));
  const synthesized = renderCharts(buildPlatform(config, { apps: shopApps }))
    .flatMap((c) => c.objects)
    .filter(inShop);
  expect(shop.map((d) => key(d.inputs)).sort()).toEqual(synthesized.map(key).sort());
  expect(shop.map((d) => d.inputs.kind)).toEqual(
    expect.arrayContaining(['Namespace', 'Deployment', 'Canary', 'AuthorizationPolicy', 'NetworkPolicy', 'Sidecar']),
  );
  for (const d of shop) expect(layerOf(d)?.name).toBe('apps');
});
