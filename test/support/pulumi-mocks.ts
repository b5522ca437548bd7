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
  /** Explicit dependencies, outputs resolved (a resource of a ConfigGroup is an Output of it). */
  dependsOn: readonly Declared[];
  readonly parent?: Declared;
  /** A read of an existing object (`Resource.get`), not a declaration. */
  readonly read: boolean;
  /** Declared with `retainOnDelete`. */
  readonly retainOnDelete: boolean;
}

/** The value of an Output, once known. */
const valueOf = <T>(output: pulumi.Output<T>) => new Promise<T>((resolve) => output.apply((v) => (resolve(v), v)));

/** Runs `program` as a Pulumi stack under the official mocks and records every resource it declares, with dependencies. */
export async function declareUnderMocks(program: () => unknown): Promise<Declared[]> {
  const declared: Declared[] = [];
  const byResource = new Map<pulumi.Resource, Declared>();
  const pending: [Declared, unknown[]][] = [];
  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((args) => {
      const entry: Declared = {
        type: args.type,
        name: args.name,
        inputs: args.props as Record<string, any>,
        dependsOn: [],
        parent: args.opts.parent ? byResource.get(args.opts.parent) : undefined,
        read: (args.opts as pulumi.CustomResourceOptions).id !== undefined,
        retainOnDelete: args.opts.retainOnDelete === true,
      };
      pending.push([entry, ([] as unknown[]).concat(args.opts.dependsOn ?? [])]);
      byResource.set(args.resource, entry);
      declared.push(entry);
      return undefined;
    });
    program();
    return {};
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  for (const [entry, deps] of pending) {
    entry.dependsOn = await Promise.all(
      deps.map(async (d) => {
        const resource = pulumi.Output.isInstance(d) ? await valueOf(d as pulumi.Output<pulumi.Resource>) : (d as pulumi.Resource);
        const found = byResource.get(resource);
        if (!found) throw new Error(`${entry.type} ${entry.name} depends on a resource the program did not declare`);
        return found;
      }),
    );
  }
  return declared;
}

/** The layer component a declared resource belongs to. */
export const layerOf = (d: Declared): Declared | undefined => (d.type === LAYER_TYPE ? d : d.parent && layerOf(d.parent));

/** `Kind namespace/name` of a Kubernetes object. */
export const kindAndName = (o: { kind?: string; metadata?: { name?: string; namespace?: string } }) =>
  `${o.kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
