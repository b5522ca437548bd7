import * as YAML from 'yaml';
import { isKubernetesNamespace, PLATFORM_NAMESPACES } from './namespaces';
import type { EnvironmentSettings } from './schema';

/**
 * Rules over a whole, schema-valid environment that no single key's schema can state: namespaces the
 * platform or Kubernetes owns, credentials written into URLs, and what production requires. Each problem is
 * one line naming the file, the key, the value and the fix (the same shape as the schema's messages).
 */

/**
 * Sections whose `namespace` keys refer to a namespace something else created (an identity the policies trust),
 * instead of defining one the platform creates and owns. Only these may name a platform namespace.
 */
const REFERENCE_SECTIONS = ['security'];

/** Longest value quoted whole in a message; longer values are cut with their length. */
const MAX_QUOTED = 80;

/** A value for an error message: JSON, cut after {@link MAX_QUOTED} characters with the full length. */
export function quoteValue(value: unknown): string {
  if (typeof value === 'string') {
    return value.length <= MAX_QUOTED ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, MAX_QUOTED))}… (${value.length} chars)`;
  }
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= MAX_QUOTED ? text : `${text.slice(0, MAX_QUOTED)}… (${text.length} chars)`;
}

/** Every string leaf of a value with its dotted key path. */
function* stringLeaves(value: unknown, keyPath: string[] = []): Generator<[string[], string]> {
  if (typeof value === 'string') yield [keyPath, value];
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* stringLeaves(v, [...keyPath, String(i)]);
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) yield* stringLeaves(v, [...keyPath, k]);
}

/**
 * Userinfo of a URL that carries a secret: any `user:password@`, and any `user@` of http(s) (a token
 * used as the user name, as Git hosts accept). `ssh://git@host` names the SSH user only and is allowed.
 */
const URL_CREDENTIALS = /^([a-z][a-z0-9+.-]*):\/\/([^/?#\s]*)@/i;

/** Whether `url` holds a credential in its userinfo (see {@link URL_CREDENTIALS}). */
export function hasUrlCredentials(url: string): boolean {
  const match = URL_CREDENTIALS.exec(url.trim());
  if (!match) return false;
  const [, scheme, userinfo] = match;
  return userinfo.includes(':') || /^https?$/i.test(scheme);
}

/**
 * The problems of one schema-valid environment (empty when it has none).
 *
 * @param env the settings after the preset is merged and the schema passed
 * @param source what to name in errors, usually the file name
 * @param prefix the configuration namespace of keys (`mesh`)
 */
export function environmentRuleProblems(env: EnvironmentSettings, source: string, prefix: string): string[] {
  const problems: string[] = [];
  const key = (p: readonly string[]) => `${prefix}:${p.join('.')}`;

  for (const [p, value] of stringLeaves(env)) {
    // (1) Namespaces the platform or Kubernetes owns are never defined by a config key.
    if (p[p.length - 1] === 'namespace' && !REFERENCE_SECTIONS.includes(p[0])) {
      const k = key(p);
      const isObservabilityKey = k === `${prefix}:observability.namespace`;
      if (isKubernetesNamespace(value)) {
        problems.push(
          `${source}: ${k}: ${quoteValue(value)} is a namespace Kubernetes reserves (kube-*); the platform would put its policies and objects there and own it through Flux; choose a namespace of your own, such as demo`,
        );
      } else if ((PLATFORM_NAMESPACES as readonly string[]).includes(value)) {
        problems.push(
          `${source}: ${k}: ${quoteValue(value)} is a namespace the platform owns (${PLATFORM_NAMESPACES.join(', ')}); a deny-all policy or Flux ownership there would break the mesh (istio-system is Istio's root namespace: policies there apply mesh-wide); choose a namespace of your own`,
        );
      } else if (!isObservabilityKey && value === env.observability.namespace) {
        problems.push(
          `${source}: ${k}: ${quoteValue(value)} is the observability namespace (${prefix}:observability.namespace), which the platform owns; choose another namespace`,
        );
      }
    }
    // (2) No credential in any URL: it would be written verbatim into dist/ and so into Git.
    if (hasUrlCredentials(value)) {
      const redacted = value.trim().replace(URL_CREDENTIALS, (_m, scheme: string) => `${scheme}://<credentials>@`);
      problems.push(
        `${source}: ${key(p)}: ${quoteValue(redacted)} holds credentials in the URL, which would be committed to Git with the synthesized output; remove the user:password@ part and keep the credential in a Secret referenced by name${p[0] === 'gitops' ? ` (${prefix}:gitops.secretRef, created with flux create secret git)` : ''}`,
      );
    }
  }

  // (3) Production: HTTPS on the public gateway, REGISTRY_ONLY egress, STRICT mTLS, default deny, and Flux.
  if (env.tier === 'production') {
    if (!env.ingress.tls) {
      problems.push(
        `${source}: ${prefix}:ingress.tls: production requires HTTPS on the public gateway (and so cert-manager), but it is not set; set ${prefix}:ingress.tls: { hosts: [<public host>], redirectHttp: false, serveHttp: false, issuer: { type: acme, email: <contact> }, certManagerReplicas: 2 }`,
      );
    } else if (!env.ingress.tls.redirectHttp && env.ingress.tls.serveHttp) {
      problems.push(
        `${source}: ${prefix}:ingress.tls.serveHttp: true is not allowed in production (every exposed route would also answer plain HTTP on port 80, without a redirect); set ${prefix}:ingress.tls.serveHttp: false for an HTTPS-only gateway (ACME HTTP-01 challenges are still answered through the istio ingress class), or redirectHttp: true with an issuer that does not solve HTTP-01`,
      );
    }
    if (env.istio.install.outboundTrafficPolicy !== 'REGISTRY_ONLY') {
      problems.push(
        `${source}: ${prefix}:istio.install.outboundTrafficPolicy: ${quoteValue(env.istio.install.outboundTrafficPolicy)} is not allowed in production (any workload could reach any host); set it to REGISTRY_ONLY and list external hosts in ${prefix}:egress.services`,
      );
    }
    if (env.istio.mtls !== 'STRICT') {
      problems.push(
        `${source}: ${prefix}:istio.mtls: ${quoteValue(env.istio.mtls)} is not allowed in production (plain text would be accepted); set ${prefix}:istio.mtls: STRICT`,
      );
    }
    if (!env.security.defaultDeny) {
      problems.push(
        `${source}: ${prefix}:security.defaultDeny: false is not allowed in production (every call no rule allows would pass); set ${prefix}:security.defaultDeny: true`,
      );
    }
    if (!env.security.networkPolicies) {
      problems.push(
        `${source}: ${prefix}:security.networkPolicies: false is not allowed in production (no namespace would have its default-deny NetworkPolicy, so a pod without a sidecar, or one that bypasses it, reaches every platform port: the load tester's gates, istiod, Prometheus); set ${prefix}:security.networkPolicies: true`,
      );
    }
    if (env.delivery === 'gitops' && !env.gitops) {
      problems.push(
        `${source}: ${prefix}:gitops: production is delivered by Flux (${prefix}:delivery: gitops) but names no repository, so the Flux layer would be dropped; set ${prefix}:gitops: { url: ssh://git@<host>/<org>/<repo>.git, branch: main, secretRef: flux-system }`,
      );
    }
  }
  return problems;
}

/** Largest environment file read (bytes); a real one is a few kB. Above it the file is refused before parsing. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Keys that would reach an object's prototype when copied, never configuration keys. */
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'];

/**
 * Keys of the raw configuration that must not be read at all (`mesh:__proto__`, `__proto__` at any depth): copied
 * into an object they would replace its prototype and silently change defaults such as the tier.
 *
 * @param values the raw key/value map of the file
 * @param source what to name in errors
 */
export function prototypeKeyProblems(values: unknown, source: string): string[] {
  const problems: string[] = [];
  const walk = (value: unknown, keyPath: string[]) => {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...keyPath, String(i)]));
    else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) {
        const local = keyPath.length === 0 ? k.slice(k.indexOf(':') + 1) : k;
        if (PROTOTYPE_KEYS.includes(local)) {
          problems.push(
            `${source}: ${[...keyPath, k].join('.')}: ${quoteValue(local)} is not a configuration key (it names an object's prototype); remove it`,
          );
        } else walk(v, [...keyPath, k]);
      }
    }
  };
  walk(values, []);
  return problems;
}

/**
 * Duplicate keys of every mapping in a YAML document, found in one pass (the YAML library's own check compares
 * every key with every other, which takes minutes on a large file).
 *
 * @param doc the parsed document (parsed with `uniqueKeys: false`)
 * @param lines the line counter the document was parsed with
 * @param source what to name in errors
 */
export function duplicateKeyProblems(doc: YAML.Document, lines: YAML.LineCounter, source: string): string[] {
  const problems: string[] = [];
  YAML.visit(doc, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = YAML.isScalar(pair.key) ? String(pair.key.value) : JSON.stringify(pair.key);
        if (seen.has(key)) {
          const offset = YAML.isNode(pair.key) ? pair.key.range?.[0] : undefined;
          const line = offset === undefined ? '?' : lines.linePos(offset).line;
          problems.push(`${source}:${line}: key ${quoteValue(key)} appears twice in one mapping; keep one`);
        }
        seen.add(key);
      }
    },
  });
  return problems;
}
