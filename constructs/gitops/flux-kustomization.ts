import { ApiObject, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { Kustomization, KustomizationSpecSourceRefKind } from '../../imports/kustomize.toolkit.fluxcd.io';
import { DNS_LABEL, invalid, notDnsLabel } from '../core/errors';
import { checkInterval, FluxGitSource } from './flux-git-source';
import { formatGoDuration } from '../core/go-duration';
import { FLUX_NAMESPACE } from '../platform/helm-component';

/** Properties of a {@link FluxKustomization}. */
export interface FluxKustomizationProps {
  /** The Git source the manifests come from. */
  readonly source: FluxGitSource;
  /** The folder in the repository, relative to its root (`./dist/prod/mesh`). */
  readonly path: string;
  /**
   * Kustomizations that must be applied and healthy first.
   * @default - none
   */
  readonly dependsOn?: readonly FluxKustomization[];
  /**
   * How often Flux re-applies the folder (and corrects drift).
   * @default Duration.minutes(5)
   */
  readonly interval?: Duration;
  /**
   * How long apply and health checks may take before the sync counts as failed.
   * @default Duration.minutes(10)
   */
  readonly timeout?: Duration;
  /**
   * Wait for every applied object to be ready (so that `dependsOn` means "healthy", not just "applied").
   * @default true
   */
  readonly wait?: boolean;
  /**
   * Delete objects that were removed from Git.
   * @default true
   */
  readonly prune?: boolean;
  /**
   * The Flux object's name.
   * @default - the construct id
   */
  readonly name?: string;
}

/** A Flux `Kustomization`: one folder of the repository applied, pruned and health-checked in order. */
export class FluxKustomization extends Construct {
  /** The Kustomization's name. */
  readonly kustomizationName: string;
  /** The generated Kustomization (escape hatch). */
  readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: FluxKustomizationProps) {
    super(scope, id);
    const fail = (message: string): never => invalid('FluxKustomization', this, message);
    this.kustomizationName = props.name ?? id;
    if (!DNS_LABEL.test(this.kustomizationName)) fail(notDnsLabel('name', this.kustomizationName, 'mesh'));
    if (!/^\.?\/?[A-Za-z0-9._/-]*$/.test(props.path) || props.path.split('/').includes('..')) {
      fail(`path '${props.path}' is not a folder inside the repository; use e.g. './dist/prod/mesh'`);
    }
    const interval = props.interval ?? Duration.minutes(5);
    checkInterval(interval, 'interval', fail);
    const timeout = props.timeout ?? Duration.minutes(10);
    if (timeout.toSeconds() < 30 || timeout.toMilliseconds() % 1000 !== 0)
      fail(`timeout ${formatGoDuration(timeout)} is too short for health checks; use at least 30s, such as 10m`);
    this.apiObject = new Kustomization(this, 'Resource', {
      metadata: { name: this.kustomizationName, namespace: FLUX_NAMESPACE },
      spec: {
        sourceRef: {
          kind: KustomizationSpecSourceRefKind.GIT_REPOSITORY,
          name: props.source.sourceName,
          namespace: props.source.sourceNamespace,
        },
        path: props.path,
        interval: formatGoDuration(interval),
        retryInterval: formatGoDuration(Duration.seconds(Math.min(interval.toSeconds(), 60))),
        timeout: formatGoDuration(timeout),
        prune: props.prune ?? true,
        wait: props.wait ?? true,
        ...(props.dependsOn && props.dependsOn.length > 0
          ? { dependsOn: props.dependsOn.map((d) => ({ name: d.kustomizationName })) }
          : {}),
      },
    });
    props.dependsOn?.forEach((d) => this.node.addDependency(d));
  }
}
