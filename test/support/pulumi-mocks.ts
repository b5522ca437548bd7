import * as pulumi from '@pulumi/pulumi';
import { LAYER_TYPE } from '../../stacks/engines/pulumi/program';

pulumi.runtime.setMocks(
  { newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }), call: (args) => args.inputs },
  'mesh',
  'test',
  false,
);

/** A resource the Pulumi program declared, as the official mocks saw it. */
export interface Declared {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  readonly parent?: Declared;
}

/** Runs `program` as a Pulumi stack under the official mocks and records every resource it declares. */
export async function declareUnderMocks(program: () => unknown): Promise<Declared[]> {
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
    program();
    return {};
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  return declared;
}

/** The layer component a declared resource belongs to. */
export const layerOf = (d: Declared): Declared | undefined => (d.type === LAYER_TYPE ? d : d.parent && layerOf(d.parent));

/** `Kind namespace/name` of a Kubernetes object. */
export const kindAndName = (o: { kind?: string; metadata?: { name?: string; namespace?: string } }) =>
  `${o.kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
