import { z } from 'zod';
import { DNS_LABEL } from '../../constructs/core/errors';
import { ISTIO_SYSTEM_NAMESPACE } from '../../constructs/core/namespaces';

const dnsLabel = z.string().regex(DNS_LABEL, 'must be a DNS-1123 label such as istio-system');
const serviceAccount = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'must be a service account name such as istio-ingressgateway');
const labels = z.record(
  z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, 'must be a label key'),
  // Kubernetes' label value rule: at most 63 characters of [A-Za-z0-9._-], starting and ending alphanumeric, or empty.
  z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, "must be a label value: at most 63 of A-Z a-z 0-9 '-' '_' '.'"),
);

/** A workload the security policies need to know: its identity and its pods. */
const workload = z.strictObject({
  /** Its namespace. */
  namespace: dnsLabel,
  /** Its ServiceAccount (the mTLS identity `cluster.local/ns/<namespace>/sa/<serviceAccount>`). */
  serviceAccount,
  /** Labels of its pods, for NetworkPolicies. */
  podLabels: labels,
});

/**
 * `mesh:security`: zero-trust settings of the apps (the mTLS mode itself is `mesh:istio.mtls`).
 * Production requires `defaultDeny: true`, `networkPolicies: true` and `mesh:istio.mtls: STRICT`.
 */
export const securitySchema = z.strictObject({
  /** Deny every request no rule allows (an empty AuthorizationPolicy per app namespace). */
  defaultDeny: z.boolean(),
  /** A Sidecar per app limiting its proxy's egress to its declared dependencies plus istio-system. */
  sidecarScoping: z.boolean(),
  /**
   * NetworkPolicies: per app from the same dependency graph, and a default deny in every namespace the
   * platform owns (defense in depth).
   */
  networkPolicies: z.boolean(),
  /** The ingress gateway the exposed apps accept traffic from. */
  ingressGateway: workload,
  /**
   * Apps the ingress gateway may call beyond those a gateway route (VirtualService or Canary bound to a
   * gateway) already exposes: `name` (in every namespace) or `namespace/name`.
   */
  exposedApps: z
    .array(
      z
        .string()
        .regex(
          /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\/)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
          'must be an app name such as httpbin, or namespace/name such as demo/httpbin',
        ),
    )
    .refine((a) => new Set(a).size === a.length, 'must not list an app twice'),
  /**
   * The Prometheus that scrapes the sidecars (ports 15020 and 15090), when it is not the platform's own.
   * Leave it out to use the ObservabilityStack's Prometheus (`mesh:observability`).
   */
  prometheus: workload.optional(),
});

/** The `mesh:security` settings. */
export type SecuritySettings = z.output<typeof securitySchema>;

/** The identities every tier assumes: Istio's ingress gateway chart; no extra exposed app. */
export const securityDefaults: Pick<SecuritySettings, 'ingressGateway' | 'exposedApps'> = {
  ingressGateway: { namespace: ISTIO_SYSTEM_NAMESPACE, serviceAccount: 'istio-ingressgateway', podLabels: { istio: 'ingressgateway' } },
  exposedApps: [],
};
