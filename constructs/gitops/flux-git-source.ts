import { ApiObject, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { GitRepository } from '../../imports/source.toolkit.fluxcd.io';
import { DNS_LABEL, invalid, notDnsLabel } from '../core/errors';
import { formatGoDuration } from '../core/go-duration';
import { FLUX_NAMESPACE } from '../platform/helm-component';
import { requireSecret } from '../core/secret-requirement';

/** Properties of a {@link FluxGitSource}. */
export interface FluxGitSourceProps {
  /** The repository: `ssh://git@host/org/repo.git` (deploy key) or `https://host/org/repo.git`. */
  readonly url: string;
  /**
   * The branch Flux follows.
   * @default 'main'
   */
  readonly branch?: string;
  /**
   * Name of the Secret in flux-system holding the credentials (for SSH: `identity`, `identity.pub`,
   * `known_hosts`, as `flux create secret git` writes them). Only the reference is in Git, never the key.
   * @default - none; required for ssh:// URLs
   */
  readonly secretName?: string;
  /**
   * How often Flux fetches the repository (scenario S1: every 5 minutes).
   * @default Duration.minutes(5)
   */
  readonly interval?: Duration;
  /**
   * The Flux object's name.
   * @default - the construct id
   */
  readonly name?: string;
}

/** Shortest sync interval allowed: a shorter one mostly hammers the Git server. */
export const MIN_SYNC_INTERVAL = Duration.seconds(30);

/** A Flux `GitRepository`: the Git repository (branch) Flux reconciles the platform from. */
export class FluxGitSource extends Construct {
  /** The GitRepository's name. */
  readonly sourceName: string;
  /** Its namespace (flux-system). */
  readonly sourceNamespace = FLUX_NAMESPACE;
  /** The generated GitRepository (escape hatch). */
  readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: FluxGitSourceProps) {
    super(scope, id);
    const fail = (message: string): never => invalid('FluxGitSource', this, message);
    this.sourceName = props.name ?? id;
    if (!DNS_LABEL.test(this.sourceName)) fail(notDnsLabel('name', this.sourceName, 'platform'));
    const url = props.url;
    if (!/^(ssh|https):\/\/[^\s/]+\/[^\s]+$/.test(url)) {
      const scp = /^([^@\s]+@)?([^:\s/]+):([^\s]+)$/.exec(url);
      const fix = scp
        ? `write it as ssh://${scp[1] ?? 'git@'}${scp[2]}/${scp[3]}`
        : 'use ssh://git@github.com/<org>/<repo>.git or https://github.com/<org>/<repo>.git';
      fail(`git URL '${url}' is not an ssh:// or https:// URL; ${fix}`);
    }
    if (url.startsWith('ssh://') && !props.secretName)
      fail(
        `git URL '${url}' uses SSH but no secretName is given; create the deploy key Secret with 'flux create secret git' and name it here`,
      );
    if (props.secretName !== undefined && !DNS_LABEL.test(props.secretName))
      fail(notDnsLabel('secretName', props.secretName, 'flux-deploy-key'));
    const branch = props.branch ?? 'main';
    if (
      !/^[A-Za-z0-9._/-]+$/.test(branch) ||
      branch.includes('..') ||
      branch.startsWith('/') ||
      branch.endsWith('/') ||
      branch.endsWith('.lock')
    ) {
      fail(
        `branch '${branch}' is not a valid Git branch name; use letters, digits, '.', '_', '-' and '/' (no '..', no leading or trailing '/', no '.lock' ending), such as 'main'`,
      );
    }
    const interval = props.interval ?? Duration.minutes(5);
    checkInterval(interval, 'interval', fail);
    if (props.secretName) {
      const ssh = url.startsWith('ssh://');
      requireSecret(this, {
        name: props.secretName,
        namespace: FLUX_NAMESPACE,
        keys: ssh ? ['identity', 'identity.pub', 'known_hosts'] : ['username', 'password'],
        purpose: ssh ? `the deploy key Flux fetches ${url} with` : `the credentials Flux fetches ${url} with`,
        whenMissing: 'the GitRepository cannot fetch, so Flux applies no layer',
        createCommand: ssh
          ? `flux create secret git ${props.secretName} --url=${url} --namespace=${FLUX_NAMESPACE}`
          : `flux create secret git ${props.secretName} --url=${url} --namespace=${FLUX_NAMESPACE} --username=REPLACE_ME --password=REPLACE_ME`,
      });
    }
    this.apiObject = new GitRepository(this, 'Resource', {
      metadata: { name: this.sourceName, namespace: FLUX_NAMESPACE },
      spec: {
        url,
        ref: { branch },
        interval: formatGoDuration(interval),
        ...(props.secretName ? { secretRef: { name: props.secretName } } : {}),
      },
    });
  }
}

/** Rejects intervals shorter than {@link MIN_SYNC_INTERVAL} or not in whole seconds. */
export function checkInterval(interval: Duration, field: string, fail: (message: string) => never): void {
  const ms = interval.toMilliseconds();
  if (ms < MIN_SYNC_INTERVAL.toMilliseconds() || ms % 1000 !== 0) {
    fail(
      `${field} ${formatGoDuration(interval)} is too short or not whole seconds; use at least ${formatGoDuration(MIN_SYNC_INTERVAL)}, such as 5m`,
    );
  }
}
