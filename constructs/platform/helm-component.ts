import { Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import {
  HelmRelease,
  HelmReleaseSpecChartSpecSourceRefKind,
  HelmReleaseSpecInstallCrds,
  HelmReleaseSpecUpgradeCrds,
} from '../../imports/helm.toolkit.fluxcd.io';
import { HelmRepository as FluxHelmRepository, HelmRepositorySpecType } from '../../imports/source.toolkit.fluxcd.io';
import { DNS_LABEL, invalid, notDnsLabel } from '../core/errors';
import { Variant } from '../core/variant';

/** Namespace of Flux's controllers and of the Helm repositories they read. */
export const FLUX_NAMESPACE = 'flux-system';

/** The API group of a CustomResourceDefinition: a lower-case DNS subdomain with at least one dot. */
const API_GROUP = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;

/**
 * What a {@link HelmComponent}'s release does with the CustomResourceDefinitions of its chart on install and upgrade
 * (Flux's `install.crds` and `upgrade.crds`).
 */
export class HelmCrdPolicy extends Variant<'CreateReplace' | 'Skip'> {
  /** Install the chart's CRDs and replace them on upgrade. */
  static readonly CREATE_REPLACE = new HelmCrdPolicy('CreateReplace');
  /** Leave the chart's CRDs alone: another release (or the cluster) owns them. */
  static readonly SKIP = new HelmCrdPolicy('Skip');

  /** Every policy. */
  static readonly ALL: readonly HelmCrdPolicy[] = [HelmCrdPolicy.CREATE_REPLACE, HelmCrdPolicy.SKIP];

  /** @param name - The name Flux reads, e.g. `CreateReplace`. */
  private constructor(name: HelmCrdPolicy['name']) {
    super(name);
  }

  /** @internal the L1 value of `install.crds` */
  _renderInstall(): HelmReleaseSpecInstallCrds {
    return this === HelmCrdPolicy.SKIP ? HelmReleaseSpecInstallCrds.SKIP : HelmReleaseSpecInstallCrds.CREATE_REPLACE;
  }

  /** @internal the L1 value of `upgrade.crds` */
  _renderUpgrade(): HelmReleaseSpecUpgradeCrds {
    return this === HelmCrdPolicy.SKIP ? HelmReleaseSpecUpgradeCrds.SKIP : HelmReleaseSpecUpgradeCrds.CREATE_REPLACE;
  }
}

/** A Helm chart repository, by name and URL (HTTPS index or `oci://` registry). */
export interface HelmRepositoryRef {
  /** Name of the Flux `HelmRepository` (one per repository, shared by every chart from it). */
  readonly name: string;
  /** `https://...` or `oci://...`. */
  readonly url: string;
}

/** Properties of a {@link HelmComponent}. */
export interface HelmComponentProps {
  /** The chart's repository. */
  readonly repository: HelmRepositoryRef;
  /** The chart name in the repository. */
  readonly chart: string;
  /** The exact chart version (no ranges: an environment must be reproducible). */
  readonly version: string;
  /** The namespace the chart installs into. */
  readonly namespace: string;
  /**
   * The Helm release name.
   * @default - the construct id
   */
  readonly releaseName?: string;
  /**
   * Chart values. Components give them a typed interface and pass the result here.
   * @default - the chart's defaults
   */
  readonly values?: Record<string, unknown>;
  /**
   * Releases that must be ready first (Flux `dependsOn`, Pulumi `dependsOn`).
   * @default - none
   */
  readonly dependsOn?: HelmComponent[];
  /**
   * How long install, upgrade and their health checks may take.
   * @default Duration.minutes(10)
   */
  readonly timeout?: Duration;
  /**
   * Install and upgrade the chart's CRDs (`CREATE_REPLACE`), or leave them to another release (`SKIP`).
   * @default HelmCrdPolicy.CREATE_REPLACE
   */
  readonly crds?: HelmCrdPolicy;
  /**
   * The API groups whose CustomResourceDefinitions the chart installs, such as `flagger.app` (read
   * them from the chart's `crds/` folder or its CRD templates). Objects of these groups exist only once
   * the release is installed, so the synth requires them in a later layer than this component and the
   * Pulumi program makes each of them depend on this release.
   * @default - none: the chart installs no CRD
   */
  readonly crdApiGroups?: readonly string[];
}

/**
 * A platform component installed from an upstream Helm chart: one model object (repository, chart,
 * pinned version, values, dependencies) that the GitOps engine renders as a Flux `HelmRepository` +
 * `HelmRelease` and the push engine as a Pulumi Helm release with the same chart, version and values.
 */
export class HelmComponent extends Construct {
  /** The release name. */
  readonly releaseName: string;
  /** The namespace the chart installs into. */
  readonly namespace: string;
  /** The chart name. */
  readonly chart: string;
  /** The pinned chart version. */
  readonly version: string;
  /** The repository. */
  readonly repository: HelmRepositoryRef;
  /** The values. */
  readonly values: Record<string, unknown>;
  /** The API groups whose CRDs the chart installs (see {@link HelmComponentProps.crdApiGroups}). */
  readonly crdApiGroups: readonly string[];
  /** How long install, upgrade and their health checks may take. */
  readonly timeout: Duration;
  /** Whether the release installs and upgrades the chart's CRDs. */
  readonly crds: HelmCrdPolicy;
  /** The releases that must be ready first. */
  readonly dependsOn: readonly HelmComponent[];
  /** The Flux HelmRelease (escape hatch). */
  readonly helmRelease: HelmRelease;

  constructor(scope: Construct, id: string, props: HelmComponentProps) {
    super(scope, id);
    this.releaseName = props.releaseName ?? id;
    this.namespace = props.namespace;
    this.chart = props.chart;
    this.version = props.version;
    this.repository = props.repository;
    this.values = props.values ?? {};
    this.crdApiGroups = [...new Set(props.crdApiGroups ?? [])];
    if (!DNS_LABEL.test(this.releaseName)) invalid('HelmComponent', this, notDnsLabel('release name', this.releaseName, 'istiod'));
    if (!DNS_LABEL.test(this.namespace)) invalid('HelmComponent', this, notDnsLabel('namespace', this.namespace, 'cert-manager'));
    if (!/^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(this.version)) {
      invalid(
        'HelmComponent',
        this,
        `chart version '${this.version}' of ${this.chart} is not an exact semantic version; pin one such as '1.30.3' (ranges make environments drift)`,
      );
    }
    if (!/^(https|oci):\/\/[^\s]+$/.test(this.repository.url)) {
      invalid('HelmComponent', this, `repository URL '${this.repository.url}' must start with https:// or oci://`);
    }
    for (const group of this.crdApiGroups) {
      if (!API_GROUP.test(group))
        invalid(
          'HelmComponent',
          this,
          `crdApiGroups: '${group}' is not the API group of a CRD (a DNS subdomain with at least one dot, without version); use e.g. 'flagger.app' or 'cert-manager.io'`,
        );
    }
    this.timeout = props.timeout ?? Duration.minutes(10);
    this.crds = props.crds ?? HelmCrdPolicy.CREATE_REPLACE;
    this.dependsOn = [...(props.dependsOn ?? [])];
    const { timeout, crds } = this;
    const source = this.repositorySource();
    this.helmRelease = new HelmRelease(this, 'Release', {
      metadata: { name: this.releaseName, namespace: FLUX_NAMESPACE },
      spec: {
        releaseName: this.releaseName,
        targetNamespace: this.namespace,
        storageNamespace: this.namespace,
        interval: '10m',
        timeout: `${timeout.toSeconds()}s`,
        chart: {
          spec: {
            chart: this.chart,
            version: this.version,
            sourceRef: { kind: HelmReleaseSpecChartSpecSourceRefKind.HELM_REPOSITORY, name: source.name, namespace: FLUX_NAMESPACE },
            interval: '1h',
          },
        },
        install: {
          createNamespace: true,
          crds: crds._renderInstall(),
          remediation: { retries: 3 },
        },
        upgrade: {
          crds: crds._renderUpgrade(),
          remediation: { retries: 3, remediateLastFailure: true },
          cleanupOnFail: true,
        },
        dependsOn: props.dependsOn?.map((d) => ({ name: d.releaseName, namespace: FLUX_NAMESPACE })),
        values: Object.keys(this.values).length > 0 ? this.values : undefined,
      },
    });
    props.dependsOn?.forEach((d) => this.node.addDependency(d));
  }

  /** The Flux HelmRepository of this chart's repository, created once per chart and repository name. */
  private repositorySource(): FluxHelmRepository {
    const chart = Chart.of(this);
    const repository = this.repository;
    const id = `helm-repository-${repository.name}`;
    const existing = chart.node.tryFindChild(id);
    if (existing instanceof FluxHelmRepository) {
      if (existing.toJson().spec.url !== repository.url) {
        invalid(
          'HelmComponent',
          this,
          `HelmRepository '${repository.name}' is declared with two URLs (${existing.toJson().spec.url} and ${repository.url}); give each repository its own name`,
        );
      }
      return existing;
    }
    return new FluxHelmRepository(chart, id, {
      metadata: { name: repository.name, namespace: FLUX_NAMESPACE },
      spec: {
        url: repository.url,
        interval: '1h',
        ...(repository.url.startsWith('oci://') ? { type: HelmRepositorySpecType.OCI } : {}),
      },
    });
  }
}
