import { z } from 'zod';
import { DNS_LABEL } from '../../constructs/core/errors';
import type { Tier } from './schema';

const label = z.string().regex(DNS_LABEL, 'must be a DNS-1123 label');

/**
 * `mesh:ingress`: the public Istio Gateway (scenario S2's `public-gateway`) and its TLS (scenario S7).
 * Host names are checked by the `MeshGateway` construct (DNS names or wildcards).
 */
export const ingressSchema = z.strictObject({
  /** Name of the Istio Gateway in istio-system that routes and canaries bind to. */
  gatewayName: label,
  /** Hosts served over plain HTTP on port 80 (`*` for any). */
  hosts: z.array(z.string()).min(1),
  /**
   * HTTPS on port 443 with a certificate from cert-manager (installed when this is set). Leave it out
   * for HTTP only.
   */
  tls: z
    .strictObject({
      /** Hosts served over HTTPS and named in the certificate (names or `*.domain`, not `*`). */
      hosts: z.array(z.string()).min(1),
      /** Redirect plain HTTP to HTTPS. Must be false with `acme` (HTTP-01): the redirect would catch the CA's challenge request. */
      redirectHttp: z.boolean(),
      /**
       * Without a redirect, still serve `hosts` in plain HTTP on port 80. Production requires false (or a
       * redirect): an HTTPS-only gateway. An ACME HTTP-01 challenge is still answered through the `istio`
       * ingress class, which Istio serves on a port-80 server of its own.
       */
      serveHttp: z.boolean().default(true),
      /** Who signs the certificate: self-signed (development) or an ACME CA such as Let's Encrypt. */
      issuer: z.discriminatedUnion('type', [
        z.strictObject({ type: z.literal('selfSigned') }),
        z.strictObject({
          type: z.literal('acme'),
          /** The ACME account's contact e-mail. */
          email: z.string().email('must be an e-mail address'),
          /** The ACME directory. */
          server: z.string().url().default('https://acme-v02.api.letsencrypt.org/directory'),
          /** The Secret (created by cert-manager, never in Git) holding the ACME account key. */
          accountKeySecret: label.default('letsencrypt-account-key'),
        }),
      ]),
      /** Replicas of cert-manager's controller, webhook and CA injector. */
      certManagerReplicas: z.number().int().min(1).max(5),
    })
    .optional(),
});

/** Settings of `mesh:ingress`. */
export type IngressSettings = z.output<typeof ingressSchema>;

/**
 * Per-tier defaults of `mesh:ingress`. Development serves S2's `*` over HTTP and a self-signed
 * `*.localhost` certificate over HTTPS without a redirect (so plain curl keeps working); staging and
 * production have no public host to assume, so their `Pulumi.<env>.yaml` sets `tls`.
 */
export const ingressPresets: Record<Tier, IngressSettings> = {
  development: {
    gatewayName: 'public-gateway',
    hosts: ['*'],
    tls: { hosts: ['*.localhost'], redirectHttp: false, serveHttp: true, issuer: { type: 'selfSigned' }, certManagerReplicas: 1 },
  },
  staging: { gatewayName: 'public-gateway', hosts: ['*'] },
  production: { gatewayName: 'public-gateway', hosts: ['*'] },
};
