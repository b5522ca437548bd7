import { HelmRepositoryRef } from './helm-component';

/** The Istio release the platform installs (every Istio chart is versioned with the release). */
export const ISTIO_VERSION = '1.30.3';

/** Istio's Helm chart repository. */
export const ISTIO_REPOSITORY: HelmRepositoryRef = { name: 'istio', url: 'https://istio-release.storage.googleapis.com/charts' };

/** Namespace of Istio's control plane (and, in this platform, of its gateways). */
export const ISTIO_SYSTEM_NAMESPACE = 'istio-system';

/**
 * An Istio installation profile every Istio chart understands (`profile` value).
 *
 * - `default`: a plain Kubernetes cluster.
 * - `openshift`: OpenShift's security constraints (scenario S8): the charts set `global.platform: openshift`,
 *   so sidecars run without the privileged/anyuid SCCs, and traffic redirection is done by the Istio CNI
 *   plugin (which OpenShift requires) instead of a privileged init container.
 */
export type IstioProfile = 'default' | 'openshift';

/** Kubernetes requests and limits, as a chart's `resources` value. */
export interface ChartResources {
  /** What the scheduler reserves. */
  readonly requests?: { readonly cpu?: string; readonly memory?: string };
  /** The ceiling. */
  readonly limits?: { readonly cpu?: string; readonly memory?: string };
}

/**
 * Turns a typed values object into the plain map a {@link HelmComponent} carries, dropping the
 * fields left undefined (so that the chart's own defaults apply to them).
 */
export function chartValues<T extends object>(values: T): Record<string, unknown> {
  return JSON.parse(JSON.stringify(values)) as Record<string, unknown>;
}
