import { z } from 'zod';
import { DNS_LABEL } from '../../constructs/core/errors';
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
        ports: z
          .array(
            z.strictObject({
              port: z.number().int().min(1).max(65535),
              protocol: z.enum(['HTTP', 'HTTPS', 'TLS', 'TCP', 'HTTP2', 'GRPC']),
            }),
          )
          .min(1),
      }),
    )
    .superRefine((services, ctx) => {
      services.forEach((s, i) => {
        if (services.findIndex((x) => x.name === s.name) === i) return;
        ctx.addIssue({
          code: 'custom',
          path: [i, 'name'],
          input: s.name,
          message: `service name ${JSON.stringify(s.name)} is listed twice; give each service its own name`,
        });
      });
    }),
});

/** Settings of `mesh:egress`. */
export type EgressSettings = z.output<typeof egressSchema>;

/**
 * Per-tier defaults of `mesh:egress`: direct in development, through the egress gateway from staging on.
 * No tier allows an external service by default; the demo apps add the one they call (httpbin.org, see
 * `demoExternalServices`) only where they are deployed.
 */
export const egressPresets: Record<Tier, EgressSettings> = {
  development: { throughEgressGateway: false, services: [] },
  staging: { throughEgressGateway: true, services: [] },
  production: { throughEgressGateway: true, services: [] },
};
