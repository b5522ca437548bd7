import type { HelmComponentProps, HelmRepositoryRef } from './helm-component';
import { milliValue, parseQuantity } from '../core/quantity';
import { Variant } from '../core/variant';

/** The Istio release the platform installs (every Istio chart is versioned with the release). */
export const ISTIO_VERSION = '1.30.3';

/** Istio's Helm chart repository. */
export const ISTIO_REPOSITORY: HelmRepositoryRef = { name: 'istio', url: 'https://istio-release.storage.googleapis.com/charts' };

export { ISTIO_SYSTEM_NAMESPACE } from '../core/namespaces';

/**
 * The kind of cluster Istio is installed on, as the platform's config names it (`mesh:istio.install.profile`).
 *
 * - `default`: a plain Kubernetes cluster.
 * - `openshift`: OpenShift's security constraints (scenario S8). Since Istio 1.24 this is no Istio profile
 *   (the charts fail with "unknown profile" on `profile: openshift`) but a platform: every Istio chart is
 *   given `platform: openshift` (see {@link istioPlatform}; under `global` for the charts that read it
 *   there), which merges the chart's
 *   `files/profile-platform-openshift.yaml` (Multus CNI paths, SELinux type, istiod's CNI mode), so sidecars
 *   run without the privileged/anyuid SCCs; traffic redirection is done by the Istio CNI plugin (which
 *   OpenShift requires) instead of a privileged init container.
 */
export class IstioProfile extends Variant<'default' | 'openshift'> {
  /** A plain Kubernetes cluster: no platform overlay. */
  static readonly DEFAULT = new IstioProfile('default');
  /** OpenShift: the charts' `platform: openshift` overlay, with the Istio CNI plugin. */
  static readonly OPENSHIFT = new IstioProfile('openshift');

  /** Every profile. */
  static readonly ALL: readonly IstioProfile[] = [IstioProfile.DEFAULT, IstioProfile.OPENSHIFT];

  /** @param name - The profile's name in the platform's config (`mesh:istio.install.profile`), e.g. `openshift`. */
  private constructor(name: IstioProfile['name']) {
    super(name);
  }
}

/** The profiles {@link IstioProfile} allows, for validation messages (`IstioProfile.ALL`). */
export const ISTIO_PROFILES: readonly IstioProfile[] = IstioProfile.ALL;

/**
 * The platform overlay (`files/profile-platform-<platform>.yaml`) an Istio chart merges into its defaults:
 * `openshift`, or unset for plain Kubernetes. Every Istio chart takes it from `platform` or
 * `global.platform` (`coalesce` in `zzz_profile.yaml`). It is set where each chart reads it by name:
 * `global.platform` for istiod (its Deployment's PLATFORM variable) and cni (its ClusterRole's SCC rule),
 * the form Istio documents; top-level `platform` for base and gateway, which read it only inside
 * `zzz_profile.yaml` (the gateway's values schema declares `platform`, and `check-values.mjs` resolves
 * `global.platform` in neither).
 */
export type IstioPlatformValue = 'openshift';

/** Settings the base and istiod charts read under `global`. */
export interface IstioGlobalValues {
  /** Namespace of istiod (base and istiod read it; the cni and gateway charts do not). */
  readonly istioNamespace?: string;
  /** The platform overlay (istiod; see {@link IstioPlatformValue}). */
  readonly platform?: IstioPlatformValue;
}

/** The platform value of an Istio chart for a profile: `openshift` for OpenShift, nothing for plain Kubernetes. */
export function istioPlatform(profile: IstioProfile | undefined): IstioPlatformValue | undefined {
  return profile === IstioProfile.OPENSHIFT ? 'openshift' : undefined;
}

/**
 * Checks that a profile is an {@link IstioProfile}, reporting through `fail`, so that a JavaScript
 * caller's typo is an error instead of a silent plain-Kubernetes install.
 */
export function checkIstioProfile(profile: unknown, fail: (message: string) => never): void {
  if (profile !== undefined && !(ISTIO_PROFILES as readonly unknown[]).includes(profile)) {
    fail(
      `profile '${String(profile)}' is not allowed; use one of ${ISTIO_PROFILES.map((p) => `IstioProfile.${p.name.toUpperCase()}`).join(', ')} (OpenShift is IstioProfile.OPENSHIFT, rendered as the charts' platform value)`,
    );
  }
}

/** Kubernetes requests and limits, as a chart's `resources` value. */
export interface ChartResources {
  /**
   * What the scheduler reserves.
   * @default - the chart's own requests
   */
  readonly requests?: {
    /**
     * CPU, as a Kubernetes quantity (`100m`, `0.5`).
     * @default - the chart's own CPU request
     */
    readonly cpu?: string;
    /**
     * Memory, as a Kubernetes quantity (`128Mi`, `1Gi`).
     * @default - the chart's own memory request
     */
    readonly memory?: string;
  };
  /**
   * The ceiling.
   * @default - the chart's own limits
   */
  readonly limits?: {
    /**
     * CPU, as a Kubernetes quantity (`500m`, `1`).
     * @default - the chart's own CPU limit
     */
    readonly cpu?: string;
    /**
     * Memory, as a Kubernetes quantity (`256Mi`, `1Gi`).
     * @default - the chart's own memory limit
     */
    readonly memory?: string;
  };
}

/**
 * Turns a typed values object into the plain map a {@link HelmComponent} carries, dropping the
 * fields left undefined (so that the chart's own defaults apply to them).
 */
export function chartValues<T extends object>(values: T): Record<string, unknown> {
  return JSON.parse(JSON.stringify(values)) as Record<string, unknown>;
}

/**
 * The {@link HelmComponent} props of one of Istio's charts: Istio's repository, the pinned
 * {@link ISTIO_VERSION}, and the typed values as the plain map the release carries (see {@link chartValues}).
 * @param chart the chart's name in Istio's repository: `base`, `istiod`, `cni` or `gateway`
 * @param release the release's other props (namespace, release name, dependencies)
 */
export function istioChart(
  chart: string,
  release: Omit<HelmComponentProps, 'repository' | 'chart' | 'version' | 'values'> & { readonly values: object },
): HelmComponentProps {
  return { ...release, repository: ISTIO_REPOSITORY, chart, version: ISTIO_VERSION, values: chartValues(release.values) };
}

/**
 * Checks a chart's requests and limits, reporting through `fail` what the API server or the scheduler would refuse:
 * a quantity that is none (`100 m`, `1GB`), or a request above its limit.
 * @param what the prop being checked, such as `proxyResources`
 */
export function checkChartResources(what: string, r: ChartResources, fail: (message: string) => never): void {
  for (const resource of ['cpu', 'memory'] as const) {
    const values: Partial<Record<'requests' | 'limits', bigint>> = {};
    for (const kind of ['requests', 'limits'] as const) {
      const text = r[kind]?.[resource];
      if (text === undefined) continue;
      const q = parseQuantity(String(text));
      if (typeof q === 'string') return fail(`${what}.${kind}.${resource} '${text}' ${q}`);
      if (q.numerator <= 0n)
        fail(`${what}.${kind}.${resource} '${text}' must be positive, such as ${resource === 'cpu' ? '100m' : '128Mi'}`);
      values[kind] = milliValue(q).milli;
    }
    if (values.requests !== undefined && values.limits !== undefined && values.requests > values.limits) {
      fail(
        `${what}: the ${resource} request ${r.requests![resource]} exceeds its limit ${r.limits![resource]}; raise the limit or lower the request`,
      );
    }
  }
}
