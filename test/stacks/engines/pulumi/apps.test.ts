import * as pulumi from '@pulumi/pulumi';
import { buildPlatform } from '../../../../stacks/composition/platform';
import { declarePlatform, LAYER_TYPE } from '../../../../stacks/engines/pulumi/program';
import { renderCharts } from '../../../../stacks/engines/render';
import { shopEnvironment } from '../../../support/shop';

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

/** Runs the Pulumi program under the official mocks and records what it declares. */
async function declare(): Promise<Declared[]> {
  const declared: Declared[] = [];
  const byResource = new Map<pulumi.Resource, Declared>();
  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((args) => {
      const entry: Declared = {
        type: args.type,
        name: args.name,
        inputs: args.props as Record<string, any>,
        parent: args.opts.parent ? byResource.get(args.opts.parent) : undefined,
      };
      byResource.set(args.resource, entry);
      declared.push(entry);
      return undefined;
    });
    declarePlatform({ ...shopEnvironment(), delivery: 'push' });
    return {};
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  return declared;
}

const layerOf = (d: Declared): Declared | undefined => (d.type === LAYER_TYPE ? d : d.parent && layerOf(d.parent));
const key = (o: { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } }) =>
  `${o.kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;

describe('the Pulumi program on mesh:apps (the shop)', () => {
  test('declares every object of the shop, in layer apps, as the synth renders them', async () => {
    const declared = await declare();
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
