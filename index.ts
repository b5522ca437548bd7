/**
 * The library: the constructs and the charts of the mesh platform, free of side effects on import.
 * The command line is the `mesh` binary (stacks/cli/main.ts); the Pulumi program is
 * stacks/engines/pulumi/index.ts (Pulumi.yaml), which runs on import and is therefore not exported here.
 */
export * from './constructs';
export * from './charts';
