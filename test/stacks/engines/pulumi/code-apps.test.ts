import * as path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { buildPlatform } from '../../../../stacks/composition/platform';
import { loadEnvironmentFile } from '../../../../stacks/environments';
import { declareApp, LAYER_TYPE } from '../../../../stacks/engines/pulumi/program';
import { renderCharts } from '../../../../stacks/engines/render';
import { REPO_ROOT } from '../../../support/shared-dir';
import { shopApps } from '../../../support/shop-apps';

pulumi.runtime.setMocks(
  { newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }), call: (args) => args.inputs },
  'mesh',
  'test',
  false,
);

interface Declared {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  readonly parent?: Declared;
}

const key = (o: { kind?: string; metadata?: { name?: string; namespace?: string } }) =>
  `${o.kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
const inShop = (o: { kind?: string; metadata?: { name?: string; namespace?: string } }) =>
  o.metadata?.namespace === 'shop' || (o.kind === 'Namespace' && o.metadata?.name === 'shop');

test('the Pulumi program declares the apps in code (the shop) in layer apps, as the synth renders them', async () => {
  const config = { ...loadEnvironmentFile(path.join(REPO_ROOT, 'Pulumi.prod.yaml')), delivery: 'push' as const };
  const declared: Declared[] = [];
  const byResource = new Map<pulumi.Resource, Declared>();
  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((args) => {
      const entry: Declared = {
        type: args.type,
        name: args.name,
        inputs: args.props as Record<string, any>,
        parent: args.opts.parent && byResource.get(args.opts.parent),
      };
      byResource.set(args.resource, entry);
      declared.push(entry);
      return undefined;
    });
    // What declarePlatform does, with the test-local registration instead of apps/index.ts.
    declareApp(buildPlatform(config, { apps: shopApps }), config);
    return {};
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  const shop = declared.filter((d) => d.type.startsWith('kubernetes:') && inShop(d.inputs));
  const synthesized = renderCharts(buildPlatform(config, { apps: shopApps }))
    .flatMap((c) => c.objects)
    .filter(inShop);
  expect(shop.map((d) => key(d.inputs)).sort()).toEqual(synthesized.map(key).sort());
  expect(shop.map((d) => d.inputs.kind)).toEqual(
    expect.arrayContaining(['Namespace', 'Deployment', 'Canary', 'AuthorizationPolicy', 'NetworkPolicy', 'Sidecar']),
  );
  const layerOf = (d: Declared): Declared | undefined => (d.type === LAYER_TYPE ? d : d.parent && layerOf(d.parent));
  for (const d of shop) expect(layerOf(d)?.name).toBe('apps');
});
