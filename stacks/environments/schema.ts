import { z } from 'zod';
import { DNS_LABEL } from '../../constructs/core/errors';
import { resourcesSchema as resources } from './resources';
import { observabilitySchema } from './observability';
import { resilienceSchema } from './resilience';
import { securitySchema } from './security';
import { istioInstallSchema } from './istio-install';
import { ingressSchema } from './ingress';
import { egressSchema } from './egress';
import { gitopsSchema } from './gitops';
import { canarySchema } from './canary';
import { appsContextIssues, appsSchema } from './apps';

/**
 * The schema of one environment's configuration: the `mesh:*` keys of `Pulumi.<env>.yaml`.
 *
 * Every object is strict (an unknown or misspelled key is an error, never silently ignored). Values
 * the file leaves out come from the preset of the environment's tier (`presets.ts`), so the schema
 * itself states only what is allowed; what is assumed lives in one place.
 */

export const tiers = ['development', 'staging', 'production'] as const;
export type Tier = (typeof tiers)[number];

export const environmentSchema = z
  .strictObject({
    /**
     * What kind of environment this is; selects the preset every other key defaults from, and the
     * rules that only production enforces (STRICT mTLS, default deny, no fault injection).
     * Defaults from the stack name for `dev`, `staging` and `prod`; required for any other name.
     */
    tier: z.enum(tiers),
    /**
     * How `pulumi up` delivers the platform: `push` declares every object with Pulumi; `gitops` installs
     * Flux and its bootstrap objects only, and Flux applies the rest from Git (`npm run synth` output).
     */
    delivery: z.enum(['push', 'gitops']),
    /** Defaults for the application workloads the platform generates (demo apps and user apps). */
    workloads: z.strictObject({
      /** Replicas per app version when the app has no autoscaler. */
      replicas: z.number().int().min(1).max(100),
      /** Requests and limits of every application container. */
      resources,
      /** Create a PodDisruptionBudget (minAvailable 1) for every app version with 2 or more replicas. */
      podDisruptionBudget: z.boolean(),
    }),
    /** The mesh-wide Istio settings. */
    istio: z.strictObject({
      /** Mesh-wide PeerAuthentication mode: STRICT refuses plain text; PERMISSIVE is the migration mode. */
      mtls: z.enum(['STRICT', 'PERMISSIVE']),
      /** Percentage of requests traced (Telemetry API random sampling), 0 to 100. */
      tracingSampling: z.number().min(0).max(100),
      /** Envoy access logs to the proxies' stdout. */
      accessLogging: z.boolean(),
      /** How Istio is installed: profile, CNI, outbound policy, istiod and gateway scaling, tracing provider. */
      install: istioInstallSchema,
    }),
    /**
     * The demo applications of the scenarios, deployed to prove the mesh works end to end. Opt-in per
     * environment: production lists none; with none listed nothing of them is rendered (no namespace, no
     * egress to httpbin.org, no S4 resilience demo; the httpbin canary needs httpbin).
     */
    demo: z.strictObject({
      /** Namespace of httpbin and sleep (sidecar injection enabled), created only when one of them is deployed. */
      namespace: z.string().regex(DNS_LABEL, 'must be a DNS-1123 label such as demo'),
      /** Which demo apps to deploy; `[]` for none (production's default). */
      apps: z.array(z.enum(['httpbin', 'sleep', 'bookinfo'])).refine((a) => new Set(a).size === a.length, 'must not list an app twice'),
    }),
    /** Resilience defaults of routes (timeout, retries, outlier detection) and whether faults may be injected. */
    resilience: resilienceSchema,
    /** Zero-trust security of the apps: default deny, Sidecar scoping, NetworkPolicies, the gateway and Prometheus identities. */
    security: securitySchema,
    /** The public gateway and its TLS certificate. */
    ingress: ingressSchema,
    /** External services the mesh may call, and whether through the egress gateway. */
    egress: egressSchema,
    /** Where Flux reads this environment from (GitRepository, Kustomizations, notifications); optional. */
    gitops: gitopsSchema.optional(),
    /** Sizing of Prometheus, Alertmanager, Grafana, Jaeger and Kiali, Kiali login, and where alerts go. */
    observability: observabilitySchema,
    /** Progressive delivery: Flagger canaries, the manual weighted canary, bookinfo's routing. */
    canary: canarySchema,
    /**
     * The platform team's own apps: namespace, then app name, then its settings (image, ports, calls,
     * expose, release, resilience, autoscaling, resources, env, versions). See `apps.ts`.
     */
    apps: appsSchema,
  })
  .superRefine((env, ctx) => {
    // Runs even when another section failed its own check: read only what is well formed.
    if (!env.apps || typeof env.apps !== 'object') return;
    const demoNamespaces = env.demo?.apps?.length
      ? [
          ...(env.demo.apps.some((a) => a !== 'bookinfo') ? [env.demo.namespace] : []),
          ...(env.demo.apps.includes('bookinfo') ? [env.canary?.bookinfo?.namespace] : []),
        ]
      : [];
    if (env.canary?.weightedSplit?.enabled) demoNamespaces.push(env.canary.weightedSplit.namespace);
    for (const issue of appsContextIssues(env.apps, {
      observabilityNamespace: env.observability?.namespace,
      demoNamespaces: demoNamespaces.filter((n): n is string => typeof n === 'string'),
      gateway: Array.isArray(env.ingress?.hosts)
        ? { hosts: env.ingress.hosts, httpsHosts: Array.isArray(env.ingress.tls?.hosts) ? env.ingress.tls.hosts : undefined }
        : undefined,
      egressHosts: Array.isArray(env.egress?.services)
        ? env.egress.services.flatMap((s) => (Array.isArray(s?.hosts) ? s.hosts.filter((h) => typeof h === 'string') : []))
        : undefined,
    })) {
      ctx.addIssue({ code: 'custom', ...issue });
    }
  });

/** One environment, validated and completed with its tier's preset. */
export type EnvironmentSettings = z.output<typeof environmentSchema>;

/** A fully resolved environment: its settings plus its name (the Pulumi stack name). */
export interface EnvironmentConfig extends EnvironmentSettings {
  /** The environment's name: the Pulumi stack and the `dist/<name>/` folder. */
  readonly name: string;
}
