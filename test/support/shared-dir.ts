import * as fs from 'fs';
import * as path from 'path';

/** The repository's root (where package.json and `.ci/run` are). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/**
 * The shared reference folder (upstream CRDs, Helm charts at the pinned versions), found the way `.ci/run`
 * finds it: `$SHARED_DIR`, else `shared` beside the repository. Throws when it is missing: a test that reads
 * upstream charts must not pass without them.
 */
export function sharedDir(): string {
  const dir = process.env.SHARED_DIR ?? path.join(path.dirname(REPO_ROOT), 'shared');
  if (!fs.existsSync(path.join(dir, 'helm', 'charts'))) {
    throw new Error(
      `shared folder not found at ${dir} (no helm/charts in it); set SHARED_DIR to the folder holding helm/charts, as .ci/run does`,
    );
  }
  return dir;
}

/** The folder of one upstream chart at one version: `<shared>/helm/charts/<chart>-<version>`. */
export function chartDir(chart: string, version: string): string {
  return path.join(sharedDir(), 'helm', 'charts', `${chart}-${version}`);
}
