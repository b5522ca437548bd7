import { z } from 'zod';
import { DNS_LABEL } from '../../constructs/errors';
import type { Tier } from './schema';

/**
 * `mesh:egress`: the external services workloads may call (one `ServiceEntry` each, so they stay
 * reachable under `REGISTRY_ONLY`), and whether their traffic leaves through the egress gateway.
 * Host names are checked by the `ExternalService` construct.
 */
export const egressSchema = z.strictObject({
  /** Route external traffic through the egress gateway (needs `mesh:istio.install.egressGateway.enabled`). */
  throughEgressGateway: z.boolean(),
  /** The allowed external services. */
  services: z
    .array(
      z.strictObject({
        /** Name of the ServiceEntry. */
        name: z.string().regex(DNS_LABEL, 'must be a DNS-1123 label such as github-api'),
        /** Its DNS names. */
        hosts: z.array(z.string()).min(1),
        /** Its ports. */
        ports: z.array(z.strictObject({ port: z.number().int().min(1).max(65535), protocol: z.enum(['HTTP', 'HTTPS', 'TLS', 'TCP', 'HTTP2', 'GRPC']) })).min(1),
      }),
    )
    .refine((s) => new Set(s.map((x) => x.name)).size === s.length, 'must not list a service name twice'),
});

/** Settings of `mesh:egress`. */
export type EgressSettings = z.output<typeof egressSchema>;

/** httpbin.org: the external service of the scenarios, over HTTP and HTTPS. */
const httpbinOrg = { name: 'httpbin-org', hosts: ['httpbin.org'], ports: [{ port: 80, protocol: 'HTTP' as const }, { port: 443, protocol: 'HTTPS' as const }] };

/** Per-tier defaults of `mesh:egress`: direct in development, through the egress gateway from staging on. */
export const egressPresets: Record<Tier, EgressSettings> = {
  development: { throughEgressGateway: false, services: [httpbinOrg] },
  staging: { throughEgressGateway: true, services: [httpbinOrg] },
  production: { throughEgressGateway: true, services: [httpbinOrg] },
};
