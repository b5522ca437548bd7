import * as path from 'node:path';
import { Command } from 'commander';
import type { PublishResult, PublishTree } from '../engines/gitops/publish';
import { printJson } from './context';

/** Options of `mesh publish`. */
export interface PublishCommandOptions {
  /** The GitOps repository: URL, bare repository or clean local clone. */
  readonly repo: string;
  /**
   * The branch Flux reads.
   * @default - the `mesh:gitops` branch of the environments when they all name the same one, else `main`
   */
  readonly branch?: string;
  /**
   * The environments to publish.
   * @default - every `Pulumi.<env>.yaml`
   */
  readonly env?: readonly string[];
  /** The folder of the `Pulumi.<env>.yaml` files (its Git revision is the source revision). */
  readonly configDir: string;
}

/**
 * Synthesizes the environments in memory (never from dist/ on disk, which may be stale) and publishes each
 * into its folder of the GitOps repository: `mesh:gitops.path` when set, else `dist/<env>`, as Flux reads it.
 */
export function publishEnvironments(opts: PublishCommandOptions): PublishResult {
  const { environmentNameOf, listEnvironmentFiles, loadEnvironmentFile } = require('../environments') as typeof import('../environments');
  const { synthesizeEnvironment } = require('../engines/gitops/synth') as typeof import('../engines/gitops/synth');
  const { publish, PublishError, sourceRevision } = require('../engines/gitops/publish') as typeof import('../engines/gitops/publish');
  const files = listEnvironmentFiles(opts.configDir);
  const names = files.map(environmentNameOf);
  const wanted = opts.env && opts.env.length > 0 ? opts.env : names;
  const unknown = wanted.filter((e) => !names.includes(e));
  if (unknown.length > 0)
    throw new PublishError(
      `--env ${unknown.join(', ')}: no Pulumi.<env>.yaml in ${opts.configDir}; environments: ${names.join(', ') || 'none'}`,
    );
  const configs = wanted.map((env) => loadEnvironmentFile(path.join(opts.configDir, `Pulumi.${env}.yaml`)));
  const trees: PublishTree[] = configs.map((config) => ({
    env: config.name,
    path: config.gitops?.path ?? `dist/${config.name}`,
    files: synthesizeEnvironment(config).files,
  }));
  const branches = [...new Set(configs.map((c) => c.gitops?.branch).filter((b): b is string => !!b))];
  const branch = opts.branch ?? (branches.length === 1 ? branches[0] : 'main');
  return publish({ repo: opts.repo, branch, trees, sourceRevision: sourceRevision(opts.configDir) });
}

/** Registers `mesh publish` on the program. */
export function registerPublishCommand(program: Command, configDir: string): void {
  program
    .command('publish')
    .description('commit freshly synthesized environments into the GitOps repository Flux reads (one commit, none when unchanged)')
    .requiredOption('--repo <path or URL>', 'the GitOps repository: a URL, a bare repository or a clean local clone')
    .option('-b, --branch <branch>', "the branch Flux reads (default: the environments' mesh:gitops branch, else main)")
    .option('-e, --env <name...>', 'only these environments (default: every Pulumi.<env>.yaml)')
    .option('-c, --config-dir <dir>', 'folder of the Pulumi.<env>.yaml files', configDir)
    .option('--json', 'print what was published as JSON: { commit, pushes, changes: { <env>: { added, changed, removed } } }')
    .action((opts: { repo: string; branch?: string; env?: string[]; configDir: string; json?: boolean }) => {
      if (!opts.json) process.stderr.write(`synthesizing and publishing ${opts.env?.join(', ') ?? 'every environment'}...\n`);
      const result = publishEnvironments({ ...opts, configDir: path.resolve(opts.configDir) });
      if (opts.json) {
        printJson({ commit: result.commit ?? null, pushes: result.pushes, changes: Object.fromEntries(result.changes) });
        return;
      }
      if (!result.commit) {
        console.log('nothing to publish: the repository already holds these environments');
        return;
      }
      for (const [env, c] of result.changes)
        console.log(`${env}: ${c.added.length} added, ${c.changed.length} changed, ${c.removed.length} removed`);
      console.log(`committed ${result.commit.slice(0, 12)}${result.pushes > 1 ? ` (after ${result.pushes - 1} rejected pushes)` : ''}`);
    });
}
