import { ZeroTrustChartProps } from '../../charts/zero-trust';
import { MtlsMode } from '../../constructs';

/** The ingress gateway of the tests (istio-system's istio-ingressgateway), also standing in for Prometheus. */
export const GATEWAY = { namespace: 'istio-system', serviceAccount: 'istio-ingressgateway', podLabels: { istio: 'ingressgateway' } };

/**
 * ZeroTrustChart props of a production environment: STRICT mTLS, default deny, Sidecar scoping and NetworkPolicies,
 * {@link GATEWAY} as ingress gateway and Prometheus, none exposed and no `apps` (the chart finds every MeshApp at synthesis);
 * `overrides` replace any of them.
 */
export const productionZeroTrust = (overrides: Partial<ZeroTrustChartProps> = {}): ZeroTrustChartProps => ({
  mtls: MtlsMode.STRICT,
  production: true,
  defaultDeny: true,
  sidecarScoping: true,
  networkPolicies: true,
  ingressGateway: GATEWAY,
  exposedApps: [],
  prometheus: GATEWAY,
  ...overrides,
});
