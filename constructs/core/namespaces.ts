/**
 * Istio's root namespace: its control plane, its gateways, the mesh-wide policies (a policy there applies to
 * every workload) and, in this platform, Flagger. The one place the name is written.
 */
export const ISTIO_SYSTEM_NAMESPACE = 'istio-system';
