import { defineApps } from '../stacks/composition/code-apps';

/**
 * Your own apps, in code: the one place a team's TypeScript (its constructs and charts) joins every
 * environment. `buildPlatform` calls this function for each environment, so the synth (`npm run synth`),
 * the CLI tools (`explain`, `access`) and the Pulumi program all see the same apps. It is type-checked with
 * the project (`npx tsc --noEmit`): a misspelt prop is a compile error.
 *
 * `ctx.layerChart(id, { namespace })` creates a chart of layer `apps`; `ctx.environment` says which
 * environment is being built (add an app to some environments only by testing `ctx.environment.name`);
 * `ctx.publicGateway`, `ctx.loadTesterUrl` and `ctx.prometheus` are the platform's. Zero trust governs every
 * `MeshApp` added here: declare calls with `app.calls(other)`. See the README, "Add your app".
 *
 * No app is registered here yet, so every environment's output is the platform's alone.
 */
export default defineApps(() => {});
