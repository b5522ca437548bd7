import { z } from 'zod';
import { DNS_LABEL } from '../../constructs/core/errors';
import { GATEWAY_HOST } from '../../constructs/edge/mesh-gateway';
import type { Tier } from './schema';

/**
 * The `mesh:canary` section: progressive delivery with Flagger (scenario S3), the manual weighted
 * canary (scenario S7) and bookinfo's routing (scenario S6).
 */

const dnsLabel = z.string().regex(DNS_LABEL, 'must be a DNS-1123 label');
const percent = z.number().int('must be a whole percentage').min(0).max(100);

export const canarySchema = z.strictObject({
  /** Where Flagger posts canary events; the webhook URL stays in a Secret in istio-system (key `address`). */
  alerts: z
    .strictObject({
      /** The chat service. */
      channel: z.enum(['slack', 'teams']),
      /** The Secret holding the webhook URL, never the URL itself. */
      secretName: dnsLabel,
      /** The Slack channel to post to. */
      chatChannel: z.string().min(1).optional(),
    })
    .optional(),
  /** Scenario S3's canary on the demo httpbin (needs `httpbin` in mesh:demo.apps; off in production, like the demos). */
  httpbinCanary: z.strictObject({
    /** Roll httpbin out with Flagger (httpbin gets S3's HPA, Flagger owns its routing). */
    enabled: z.boolean(),
    /** Hold every promotion until approved at the load tester's gate (`/gate/open`). */
    manualPromotion: z.boolean(),
  }),
  /** Scenario S7: httpbin v1/v2 in their own namespace, traffic split by weight. */
  weightedSplit: z
    .strictObject({
      /** Deploy the scenario. */
      enabled: z.boolean(),
      /** Its namespace (sidecar injection enabled). */
      namespace: dnsLabel,
      /** Percentage of requests per version; they add up to 100. */
      weights: z.strictObject({ v1: percent, v2: percent }),
      /**
       * The public host name (e.g. `httpbin-canary.example.com`) whose requests the public gateway
       * routes through the split; the gateway must serve it (mesh:ingress.tls.hosts with TLS, else
       * mesh:ingress.hosts). Leave it out for in-mesh traffic only.
       */
      host: z
        .string()
        .regex(GATEWAY_HOST, 'must be a DNS name such as httpbin-canary.example.com (lowercase, no scheme, port or path)')
        .refine((h) => !h.startsWith('*'), 'must be one host name, not a wildcard')
        .optional(),
    })
    .superRefine(({ weights: { v1, v2 } }, ctx) => {
      if (v1 + v2 === 100) return;
      ctx.addIssue({
        code: 'custom',
        path: ['weights'],
        input: { v1, v2 },
        message: `weights.v1 + weights.v2 must add up to 100, got ${v1} + ${v2} = ${v1 + v2}`,
      });
    }),
  /** Scenario S6, bookinfo (deployed when mesh:demo.apps lists `bookinfo`). */
  bookinfo: z.strictObject({
    /** Its namespace (sidecar injection enabled). */
    namespace: dnsLabel,
    /**
     * Routing of reviews: all-v1; jason-v2 (header end-user: jason to v2); v1-v3-50-50; reviews-canary
     * (a Flagger canary owns reviews).
     */
    routing: z.enum(['all-v1', 'jason-v2', 'v1-v3-50-50', 'reviews-canary']),
    /** ISTIO_MUTUAL TLS on every DestinationRule. */
    istioMutualTls: z.boolean(),
  }),
});

export type CanarySettings = z.output<typeof canarySchema>;

/** Per-tier defaults of `mesh:canary`. */
export const canaryPresets: Record<Tier, CanarySettings> = {
  development: {
    httpbinCanary: { enabled: true, manualPromotion: false },
    weightedSplit: { enabled: true, namespace: 'canary', weights: { v1: 80, v2: 20 } },
    bookinfo: { namespace: 'bookinfo', routing: 'reviews-canary', istioMutualTls: false },
  },
  staging: {
    httpbinCanary: { enabled: true, manualPromotion: false },
    weightedSplit: { enabled: true, namespace: 'canary', weights: { v1: 80, v2: 20 } },
    bookinfo: { namespace: 'bookinfo', routing: 'jason-v2', istioMutualTls: true },
  },
  production: {
    // No demo httpbin in production by default (mesh:demo.apps), so no canary of it. Opted in, it
    // promotes only after a person approved at the gate.
    httpbinCanary: { enabled: false, manualPromotion: true },
    weightedSplit: { enabled: false, namespace: 'canary', weights: { v1: 100, v2: 0 } },
    bookinfo: { namespace: 'bookinfo', routing: 'all-v1', istioMutualTls: true },
  },
};
