import { CERT_MANAGER_NAMESPACE } from '../../constructs/platform/cert-manager';
import { FLAGGER_LOAD_TESTER_NAMESPACE } from '../../constructs/delivery/canary-release';
import { ISTIO_SYSTEM_NAMESPACE } from '../../constructs/core/namespaces';
import { FLUX_NAMESPACE } from '../../constructs/platform/helm-component';

/**
 * The namespaces no environment key and no app may use for its own objects: the one list the config rules
 * (`rules.ts`), `mesh:apps` (`apps.ts`) and apps in code (`stacks/composition/platform.ts`) check against.
 * The observability namespace and the namespaces of deployed demo apps are reserved too, per environment.
 */

/** Namespaces Kubernetes itself creates; every other `kube-` name is Kubernetes' too ({@link isKubernetesNamespace}). */
export const KUBERNETES_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'] as const;

/** Whether Kubernetes reserves the namespace: one of {@link KUBERNETES_NAMESPACES} or any other `kube-` name. */
export function isKubernetesNamespace(namespace: string): boolean {
  return namespace.startsWith('kube-') || (KUBERNETES_NAMESPACES as readonly string[]).includes(namespace);
}

/**
 * The namespaces the platform itself creates and owns, whatever the environment says: Istio's root namespace,
 * Flux's, cert-manager's and the Flagger load tester's.
 */
export const PLATFORM_NAMESPACES = [ISTIO_SYSTEM_NAMESPACE, FLUX_NAMESPACE, CERT_MANAGER_NAMESPACE, FLAGGER_LOAD_TESTER_NAMESPACE] as const;

/**
 * Where an app may not be declared: Kubernetes' namespaces, the platform's, `default` (every pod without a
 * namespace lands there, so a default deny would catch them all) and `istio-ingress` (Istio's documented
 * namespace for gateways).
 */
export const RESERVED_APP_NAMESPACES: readonly string[] = ['default', ...KUBERNETES_NAMESPACES, 'istio-ingress', ...PLATFORM_NAMESPACES];

/** Whether an app may not be declared in the namespace ({@link RESERVED_APP_NAMESPACES} or any `kube-` name). */
export function isReservedAppNamespace(namespace: string): boolean {
  return isKubernetesNamespace(namespace) || RESERVED_APP_NAMESPACES.includes(namespace);
}
