import { z } from 'zod';
import { DNS_LABEL } from '../../constructs/core/errors';
import { DurationSyntax } from '../../constructs/core/duration';
import { goDuration } from '../../constructs/core/go-duration';
import { Protocol } from '../../constructs/core/protocol';
import { EXTERNAL_HOST } from '../../constructs/core/hosts';
import { GATEWAY_HOST } from '../../constructs/edge/mesh-gateway';
import { RetryOn } from '../../constructs/traffic/resilient-route';
import { gatewayServesHost } from '../../constructs/traffic/traffic';
import { isReservedAppNamespace } from './namespaces';
import { checkReplicaRange, resourcesSchema } from './resources';
import type { Tier } from './schema';

/**
 * The `mesh:apps` section: the platform team's own applications, declared in each environment's file.
 * Namespace, then app name, then its settings; the composition step (`stacks/composition/apps.ts`)
 * turns them into MeshNamespaces, MeshApps, their calls, routes and releases.
 */

const PROTOCOL_NAMES = Protocol.ALL.map((p) => p.name);
const dnsLabel = z.string().regex(DNS_LABEL, 'must be a DNS-1123 label (lowercase letters, digits and -)');
const percent = z.number().int('must be a whole percentage').min(0).max(100);
const portNumber = z.number().int().min(1).max(65535);
/** A duration in one unit, as `mesh:resilience` spells them ({@link DurationSyntax.SINGLE_UNIT}). */
const DURATION = DurationSyntax.SINGLE_UNIT.pattern;
const duration = z.string().regex(DURATION, 'must be a duration of at least 1ms in one unit, such as 500ms, 2s or 3m');
/** A call: `name` (same namespace) or `name.namespace`. */
const CALL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/;
const absolutePath = z.string().regex(/^\/\S*$/, 'must be an absolute path such as /tmp');
const headerName = z.string().regex(/^[a-z0-9-]+$/, 'must be a lowercase header name such as end-user');
const RETRY_ON_NAMES = RetryOn.ALL.map((r) => r.name);

/**
 * A readiness or liveness check: exactly one of `httpGet`, `exec` and `tcpSocket`. A port left out is the
 * container port of the version's port (`versions[].port`), else of the app's first HTTP port (`httpGet`) or first port.
 */
const probeSchema = z
  .strictObject({
    /** An HTTP GET answered 200-399. */
    httpGet: z.strictObject({ path: z.string().startsWith('/', 'must start with /'), port: portNumber.optional() }).optional(),
    /** A command run in the container that exits 0. */
    exec: z.array(z.string().min(1)).min(1, 'must list the command and its arguments, such as [/bin/true]').optional(),
    /** A TCP connection that opens. */
    tcpSocket: z.strictObject({ port: portNumber.optional() }).optional(),
    /** Time after the start before the first check. Defaults to 10s for liveness, none for readiness. */
    initialDelay: duration.optional(),
    /** Failed checks in a row before the container counts as failed. Defaults to 3. */
    failureThreshold: z.number().int().min(1).max(100).optional(),
  })
  .superRefine((p, ctx) => {
    const kinds = (['httpGet', 'exec', 'tcpSocket'] as const).filter((k) => p[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        input: kinds,
        message: `must have exactly one of httpGet, exec and tcpSocket (it has ${kinds.length === 0 ? 'none' : kinds.join(' and ')}); such as { httpGet: { path: /healthz } }`,
      });
    }
  });
export type ProbeSettings = z.output<typeof probeSchema>;

/** A path of an exposed app: a prefix (`/api`), or `{ exact: /login }` or `{ prefix: /static }`. */
const exposedPath = z.union([
  z.string().startsWith('/', 'must start with /'),
  z.strictObject({ exact: z.string().startsWith('/', 'must start with /') }),
  z.strictObject({ prefix: z.string().startsWith('/', 'must start with /') }),
]);

const portSchema = z.strictObject({
  /** The Service port clients call. */
  port: portNumber,
  /**
   * The application protocol (Istio's port-name protocols: http, http2, https, grpc, grpc-web, tcp, tls,
   * mongo, mysql, redis, udp). Anything else Istio would treat as opaque TCP, so it is refused.
   */
  protocol: z
    .string()
    .superRefine((p, ctx) => {
      if (PROTOCOL_NAMES.includes(p)) return;
      ctx.addIssue({
        code: 'custom',
        input: p,
        message: `${JSON.stringify(p)} is not a protocol Istio recognises, so Istio would treat the port as plain TCP (no HTTP routing, retries or metrics); use one of ${PROTOCOL_NAMES.join(', ')} (tcp to say plain TCP on purpose)`,
      });
    })
    .default('http'),
  /** The container port. Defaults to `port`. */
  targetPort: portNumber.optional(),
  /** The port name, `<protocol>[-suffix]` (such as http-v2). Defaults to the protocol, suffixed with the port when two ports share it. */
  name: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/, 'must be a lowercase port name of at most 15 characters such as http-v2')
    .optional(),
});

/** The release strategies; `rolling` is the Deployment's own rolling update, without Flagger. */
export const RELEASE_STRATEGIES = ['canary', 'abTesting', 'blueGreen', 'mirroring', 'rolling'] as const;
export type ReleaseStrategy = (typeof RELEASE_STRATEGIES)[number];

/** The settings each strategy reads; any other setting under `release` is an error for that strategy. */
const STRATEGY_SETTINGS: Record<ReleaseStrategy, readonly string[]> = {
  canary: ['stepWeight', 'maxWeight'],
  abTesting: ['iterations', 'headers'],
  blueGreen: ['iterations'],
  mirroring: ['iterations', 'mirrorWeight'],
  rolling: [],
};
const ANALYSIS_SETTINGS = [
  'interval',
  'threshold',
  'successRate',
  'maxLatency',
  'loadTest',
  'manualPromotion',
  'progressDeadline',
  'webhookTimeout',
];

const releaseSchema = z
  .strictObject({
    /** How a new version reaches users: Flagger's canary, A/B test, blue/green, blue/green with mirroring, or a plain rolling update. */
    strategy: z.enum(RELEASE_STRATEGIES),
    /** canary: traffic percentage added per step. Defaults from the tier. */
    stepWeight: z.number().int().min(1).max(100).optional(),
    /** canary: the most traffic the canary gets before promotion. Defaults from the tier. */
    maxWeight: z.number().int().min(1).max(100).optional(),
    /** abTesting, blueGreen, mirroring: analysis runs before promotion. Defaults from the tier. */
    iterations: z.number().int().min(1).max(1000).optional(),
    /** abTesting: the request headers (lowercase name: exact value) that select the canary. */
    headers: z.record(headerName, z.string().min(1)).optional(),
    /** mirroring: percentage of requests copied to the new version. Defaults to 100. */
    mirrorWeight: percent.optional(),
    /** Time between analysis runs (whole seconds, at least 10s). Defaults from the tier. */
    interval: duration
      .refine(
        (d) => !/^[0-9]+ms$/.test(d) && goDuration(d).toSeconds() >= 10,
        'must be whole seconds and at least 10s (Flagger runs the analysis on that interval), such as 30s or 1m',
      )
      .optional(),
    /** Failed checks before rollback. Defaults from the tier. */
    threshold: z.number().int().min(1).max(100).optional(),
    /** Minimum request success rate, percent. Defaults from the tier. */
    successRate: z.number().min(0).max(100).optional(),
    /** Maximum P99 latency in milliseconds (the platform's latency template). Defaults from the tier. */
    maxLatency: z.number().int().min(1).optional(),
    /** The load test the Flagger load tester runs during the analysis; `false` for none. Defaults from the tier. */
    loadTest: z
      .union([
        z.literal(false),
        z.strictObject({
          /** Request path. */
          path: z.string().startsWith('/').optional(),
          /** Requests per second per worker. */
          requestsPerSecond: z.number().int().min(1).max(1000).optional(),
          /** Concurrent workers. */
          concurrency: z.number().int().min(1).max(100).optional(),
        }),
      ])
      .optional(),
    /** Hold every promotion until approved at the load tester's gate. Defaults from the tier. */
    manualPromotion: z.boolean().optional(),
    /** How long a rollout may make no progress before Flagger rolls it back. Defaults to 10m. */
    progressDeadline: duration.optional(),
    /**
     * Timeout of each call to the load test and promotion gate webhooks; shorter than the interval.
     * Defaults to 5s (load test) and 10s (gate).
     */
    webhookTimeout: duration.optional(),
  })
  .superRefine((r, ctx) => {
    if (!(RELEASE_STRATEGIES as readonly string[]).includes(r.strategy)) return;
    const allowed = r.strategy === 'rolling' ? [] : [...STRATEGY_SETTINGS[r.strategy], ...ANALYSIS_SETTINGS];
    for (const key of Object.keys(r)) {
      if (key === 'strategy' || allowed.includes(key) || r[key as keyof typeof r] === undefined) continue;
      const owners = RELEASE_STRATEGIES.filter((s) => STRATEGY_SETTINGS[s].includes(key));
      ctx.addIssue({
        code: 'custom',
        path: [key],
        input: r[key as keyof typeof r],
        message: `is not a setting of strategy ${r.strategy} (its settings: ${allowed.join(', ') || 'none'})${owners.length > 0 ? `; it belongs to ${owners.join(', ')}` : ''}; remove it or change the strategy`,
      });
    }
    if (r.strategy === 'abTesting' && (!r.headers || Object.keys(r.headers).length === 0)) {
      ctx.addIssue({
        code: 'custom',
        path: ['headers'],
        input: r.headers,
        message: 'strategy abTesting needs the request headers that select the new version, such as { x-canary: "true" }',
      });
    }
  });

const envSchema = z.record(
  z
    .string()
    .regex(
      /^[A-Za-z_][A-Za-z0-9_]*$/,
      'must be an environment variable name such as LOG_LEVEL (letters, digits and _, not starting with a digit)',
    ),
  z.string(),
);
/** A DNS-1123 subdomain (Secret names). */
const DNS_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const appSchema = z.strictObject({
  /** The container image (pin a tag or digest); usually the one line that differs between environments. */
  image: z.string().regex(/^\S+$/, 'must be an image reference such as ghcr.io/acme/web:1.4.2'),
  /** The ports the app serves; at least one (every pod of the mesh sits behind a Service). */
  ports: z.array(portSchema).min(1, 'must list at least one port; every pod of the mesh sits behind a Service'),
  /** The apps it calls: `name` in the same namespace or `name.namespace`; every call must be declared in mesh:apps. */
  calls: z.array(z.string().regex(CALL, 'must be an app name such as catalog, or name.namespace such as catalog.shop')).optional(),
  /**
   * The external hosts it calls, each a host of `mesh:egress.services` (such as httpbin.org): its proxy imports
   * these and no other external service. A key of its own, not `calls`: `name.namespace` is a call, so a
   * dotted host such as `httpbin.org` would read as app httpbin in namespace org.
   */
  egress: z
    .array(z.string().regex(EXTERNAL_HOST, 'must be an external DNS name such as api.github.com (no scheme, port, path or wildcard)'))
    .refine((h) => new Set(h).size === h.length, 'must not list a host twice')
    .optional(),
  /** Reached from the public gateway: its host names (served by mesh:ingress) and paths. */
  expose: z
    .strictObject({
      /**
       * Public host names; the gateway must serve each (mesh:ingress.tls.hosts with TLS, else mesh:ingress.hosts).
       * Defaults to the gateway's own hosts (a Flagger release: the app's Service name, as Flagger does).
       */
      hosts: z
        .array(z.string().regex(GATEWAY_HOST, 'must be a DNS name such as shop.example.com (lowercase, no scheme, port or path)'))
        .min(1)
        .optional(),
      /** Paths routed to the app: a prefix (`/api`), `{ exact: /login }` or `{ prefix: /static }`. Defaults to every path. */
      paths: z.array(exposedPath).min(1).optional(),
    })
    .optional(),
  /** How new versions are released. Defaults to a rolling update. */
  release: releaseSchema.optional(),
  /** Timeout, retries and circuit breaking of the traffic to the app; what is left out comes from mesh:resilience. */
  resilience: z
    .strictObject({
      /** Request timeout, retries included. */
      timeout: duration.optional(),
      /** Retries: attempts (0 disables), the timeout of each and the conditions retried (Istio's retryOn names). */
      retries: z
        .strictObject({
          attempts: z.number().int().min(0).max(10),
          perTryTimeout: duration.optional(),
          retryOn: z
            .array(
              z.string().refine((c) => RETRY_ON_NAMES.includes(c) || /^[1-5][0-9][0-9]$/.test(c), {
                message: `must be a retry condition: one of ${RETRY_ON_NAMES.join(', ')}, or an HTTP status code such as 503`,
              }),
            )
            .min(1)
            .optional(),
        })
        .optional(),
      // (perTryTimeout above timeout is checked below, where both are known.)
      /** Circuit breaking: connection limits and the ejection of failing hosts. */
      circuitBreaker: z
        .strictObject({
          /** Most TCP connections per host (not with a Flagger release: its Canary has no TCP connection pool). */
          maxConnections: z.number().int().min(1).optional(),
          /** Most pending HTTP requests per host. */
          maxPendingRequests: z.number().int().min(1).optional(),
          /** Most requests per connection (1 disables keep-alive). */
          maxRequestsPerConnection: z.number().int().min(1).optional(),
          /** How often hosts are scanned for ejection. Defaults to mesh:resilience.outlierDetection.interval. */
          interval: duration.optional(),
          /** Consecutive 5xx responses that eject a host. */
          consecutive5xxErrors: z.number().int().min(1).optional(),
          /** How long an ejected host stays out, at least. */
          baseEjectionTime: duration.optional(),
          /** Most hosts ejected at once, percent. */
          maxEjectionPercent: percent.optional(),
        })
        .optional(),
      /**
       * Faults injected into the requests to the app, to test how its callers cope (only where
       * mesh:resilience.allowFaults is true; not with a Flagger release). Only requests with the header
       * (default `x-fault-test: true`) get them.
       */
      faults: z
        .strictObject({
          /** Answer a share of the requests at once with an HTTP status. */
          abort: z.strictObject({ httpStatus: z.number().int().min(200).max(599), percentage: percent }).optional(),
          /** Delay a share of the requests. */
          delay: z.strictObject({ fixedDelay: duration, percentage: percent }).optional(),
          /** The request header that selects the requests faults are injected into. Defaults to x-fault-test: true. */
          header: z.strictObject({ name: headerName, value: z.string().min(1) }).optional(),
        })
        .refine((f) => f.abort !== undefined || f.delay !== undefined, 'must set abort, delay or both')
        .optional(),
    })
    .superRefine((r, ctx) => {
      const perTry = r.retries?.perTryTimeout;
      if (!r.timeout || !perTry || !DURATION.test(r.timeout) || !DURATION.test(perTry)) return;
      if (goDuration(perTry).toMilliseconds() > goDuration(r.timeout).toMilliseconds()) {
        ctx.addIssue({
          code: 'custom',
          path: ['retries', 'perTryTimeout'],
          input: perTry,
          message: `perTryTimeout ${perTry} exceeds timeout ${r.timeout}, so no attempt could use it; lower it to at most the timeout`,
        });
      }
    })
    .optional(),
  /** Replicas per version when not autoscaled. Defaults to mesh:workloads.replicas. */
  replicas: z.number().int().min(1).max(100).optional(),
  /** Horizontal autoscaling on CPU instead of fixed replicas. */
  autoscaling: z
    .strictObject({
      minReplicas: z.number().int().min(1),
      maxReplicas: z.number().int().min(1),
      /** Target CPU utilization, percent of the request. */
      cpuUtilization: z.number().int().min(1).max(100),
    })
    .superRefine(checkReplicaRange)
    .optional(),
  /** Requests and limits of the container. Defaults to mesh:workloads.resources. */
  resources: resourcesSchema.optional(),
  /** Plain environment variables (never secrets). */
  env: envSchema.optional(),
  /** The container command (entrypoint), such as [/bin/sleep, infinity]. Defaults to the image's. */
  command: z.array(z.string().min(1)).min(1).optional(),
  /** The container arguments. Defaults to the image's. */
  args: z.array(z.string()).min(1).optional(),
  /**
   * Readiness and liveness checks. Defaults: HTTP GET / on the first HTTP port, else a TCP check of the
   * first port (liveness after 10s, 3 failures).
   */
  probes: z.strictObject({ readiness: probeSchema.optional(), liveness: probeSchema.optional() }).optional(),
  /** Paths that get a writable empty directory (the root filesystem is read-only), such as [/tmp]. */
  writablePaths: z.array(absolutePath).min(1).optional(),
  /**
   * Istio mutual TLS (`ISTIO_MUTUAL`) set explicitly on the traffic to the app: its DestinationRule (or its
   * Canary's traffic policy). Defaults to Istio's auto mTLS, which follows the PeerAuthentication mode.
   */
  istioMutualTls: z.boolean().optional(),
  /** Secrets mounted read-only (the Secret is created outside the platform; SECRETS.md lists it). */
  secretMounts: z
    .array(
      z.strictObject({
        /** The Secret's name. */
        secretName: z.string().regex(DNS_NAME, 'must be a Secret name such as web-tls (lowercase letters, digits, - and .)'),
        /** Where it is mounted. */
        mountPath: absolutePath,
        /** Start the pods without it. Defaults to false. */
        optional: z.boolean().optional(),
      }),
    )
    .min(1)
    .optional(),

  /** Versions deployed side by side with a manual weighted split (weights add up to 100); not with a Flagger release. */
  versions: z
    .array(
      z.strictObject({
        /** The version label, such as v2. */
        name: dnsLabel,
        /** Its image. Defaults to the app's. */
        image: z.string().regex(/^\S+$/).optional(),
        /** Its share of the traffic, percent. */
        weight: percent,
        /** Its replicas. Defaults to the app's. */
        replicas: z.number().int().min(1).max(100).optional(),
        /** Environment variables added to the app's. */
        env: envSchema.optional(),
        /**
         * The Service port its share of the traffic goes to (a version may listen on its own port; its probes
         * follow). Defaults to the port called.
         */
        port: portNumber.optional(),
        /**
         * Requests with any of these headers (lowercase name: exact value) go to this version whatever the
         * weights, such as { end-user: jason }.
         */
        headers: z.record(headerName, z.string().min(1)).optional(),
      }),
    )
    .min(2, 'must list at least two versions to split traffic between')
    .optional(),
});

/** One app of `mesh:apps`, validated. */
export type AppSettings = z.output<typeof appSchema>;
/** One app as declared (in `mesh:apps` or in code, such as the demos), before validation fills defaults. */
export type AppDeclaration = z.input<typeof appSchema>;

/** `mesh:apps`: namespace -> app name -> settings. */
export const appsSchema = z.record(z.string(), z.record(z.string(), appSchema)).superRefine((apps, ctx) => {
  const declared = new Set<string>();
  for (const [namespace, inNamespace] of Object.entries(apps)) {
    if (!DNS_LABEL.test(namespace)) {
      ctx.addIssue({
        code: 'custom',
        path: [namespace],
        input: namespace,
        message: `namespace ${JSON.stringify(namespace)} is not a DNS-1123 label; use lowercase letters, digits and '-', such as shop`,
      });
    }
    if (!inNamespace || typeof inNamespace !== 'object') continue;
    for (const name of Object.keys(inNamespace)) {
      declared.add(`${name}.${namespace}`);
      if (!DNS_LABEL.test(name) || name.length > 55) {
        ctx.addIssue({
          code: 'custom',
          path: [namespace, name],
          input: name,
          message: `app name ${JSON.stringify(name)} must be a DNS-1123 label of at most 55 characters (it names the Service, ServiceAccount and Deployment); such as web`,
        });
      }
    }
  }
  for (const [namespace, inNamespace] of Object.entries(apps)) {
    for (const [name, app] of Object.entries(inNamespace ?? {})) {
      (app?.calls ?? []).forEach((call, i) => {
        const target = call.includes('.') ? call : `${call}.${namespace}`;
        if (!declared.has(target)) {
          const [targetName, targetNamespace] = target.split('.');
          ctx.addIssue({
            code: 'custom',
            path: [namespace, name, 'calls', i],
            input: call,
            message: `${JSON.stringify(call)} is not declared: there is no app ${targetName} in namespace ${targetNamespace} under mesh:apps; declare it (mesh:apps.${targetNamespace}.${targetName}) or remove the call`,
          });
        }
        if (target === `${name}.${namespace}`) {
          ctx.addIssue({
            code: 'custom',
            path: [namespace, name, 'calls', i],
            input: call,
            message: 'an app does not call itself; remove it',
          });
        }
      });
      if (!app) continue;
      const strategy = app.release?.strategy ?? 'rolling';
      if (app.versions) {
        if (strategy !== 'rolling') {
          ctx.addIssue({
            code: 'custom',
            path: [namespace, name, 'versions'],
            input: app.versions.map((v) => v.name),
            message: `a manual weighted split cannot be combined with release strategy ${strategy} (Flagger rolls one Deployment); remove versions or set release.strategy: rolling`,
          });
        }
        const total = app.versions.reduce((sum, v) => sum + v.weight, 0);
        if (total !== 100) {
          ctx.addIssue({
            code: 'custom',
            path: [namespace, name, 'versions'],
            input: app.versions.map((v) => v.weight),
            message: `the weights add up to ${total}; they must add up to 100`,
          });
        }
        app.versions.forEach((v, i) => {
          if (app.versions!.findIndex((x) => x.name === v.name) === i) return;
          ctx.addIssue({
            code: 'custom',
            path: [namespace, name, 'versions', i, 'name'],
            input: v.name,
            message: `version ${JSON.stringify(v.name)} is named twice; give each version its own name`,
          });
        });
      }
      (app.ports ?? []).forEach((p, i) => {
        if (p.name === undefined || p.name === p.protocol || p.name.startsWith(`${p.protocol}-`)) return;
        ctx.addIssue({
          code: 'custom',
          path: [namespace, name, 'ports', i, 'name'],
          input: p.name,
          message: `port name ${JSON.stringify(p.name)} does not start with its protocol ${p.protocol}, so Istio would read another protocol or plain TCP from it; use ${p.protocol} or ${p.protocol}-<suffix>, such as ${p.protocol}-${p.port}`,
        });
      });
      const containerPorts = (app.ports ?? []).map((p) => p.targetPort ?? p.port);
      for (const kind of ['readiness', 'liveness'] as const) {
        const probe = app.probes?.[kind];
        for (const check of ['httpGet', 'tcpSocket'] as const) {
          const port = probe?.[check]?.port;
          if (port === undefined || containerPorts.includes(port)) continue;
          ctx.addIssue({
            code: 'custom',
            path: [namespace, name, 'probes', kind, check, 'port'],
            input: port,
            message: `port ${port} is not a container port of the app (container ports: ${containerPorts.join(', ')}); use one of them, or leave port out for the app's first ${check === 'httpGet' ? 'HTTP ' : ''}port`,
          });
        }
      }
      (app.versions ?? []).forEach((v, i) => {
        if (v.port === undefined || (app.ports ?? []).some((p) => p.port === v.port)) return;
        ctx.addIssue({
          code: 'custom',
          path: [namespace, name, 'versions', i, 'port'],
          input: v.port,
          message: `port ${v.port} is not a port of the app (ports: ${(app.ports ?? []).map((p) => p.port).join(', ')}); use one of them, or add it to ports`,
        });
      });
      if (strategy !== 'rolling') {
        const flaggerCannot: [string[], unknown][] = [
          [['resilience', 'faults'], app.resilience?.faults],
          [['resilience', 'circuitBreaker', 'maxConnections'], app.resilience?.circuitBreaker?.maxConnections],
        ];
        for (const [path, value] of flaggerCannot) {
          if (value === undefined) continue;
          ctx.addIssue({
            code: 'custom',
            path: [namespace, name, ...path],
            input: value,
            message: `cannot be combined with release strategy ${strategy}: Flagger owns the app's routing and its Canary has no ${path.at(-1) === 'faults' ? 'fault injection' : 'TCP connection pool'}; remove ${path.join('.')} or set release.strategy: rolling`,
          });
        }
      }
      if (app.versions && app.expose && !app.expose.hosts) {
        ctx.addIssue({
          code: 'custom',
          path: [namespace, name, 'expose'],
          input: app.expose,
          message:
            "a weighted split is exposed on named hosts only (its VirtualService serves the app's Service host and these); add expose.hosts, such as [shop.example.com]",
        });
      }
      if (app.expose?.paths && strategy !== 'rolling') {
        ctx.addIssue({
          code: 'custom',
          path: [namespace, name, 'expose', 'paths'],
          input: app.expose.paths,
          message: `cannot be combined with release strategy ${strategy}: Flagger's VirtualService serves the gateway and in-mesh callers alike, so a path match would cut the app's callers off every other path; remove paths (every path is exposed) or set release.strategy: rolling`,
        });
      }
      const http = app.ports?.some((p) => Protocol.ALL.find((x) => x.name === p.protocol)?.isHttp);
      const needsHttp = [
        app.expose && 'expose',
        strategy !== 'rolling' && 'release',
        app.resilience && 'resilience',
        app.versions && 'versions',
      ].filter(Boolean);
      if (app.ports && !http && needsHttp.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: [namespace, name, needsHttp[0] as string],
          input: app.ports.map((p) => p.protocol),
          message: `${needsHttp.join(', ')} route${needsHttp.length > 1 ? '' : 's'} HTTP, but the app has no http, http2, grpc or grpc-web port; add one or remove ${needsHttp.join(', ')}`,
        });
      }
    }
  }
});

/** `mesh:apps`, validated. */
export type AppsSettings = z.output<typeof appsSchema>;

/** The analysis a release gets where `mesh:apps.<ns>.<app>.release` does not say, per tier. */
export interface ReleaseDefaults {
  readonly stepWeight: number;
  readonly maxWeight: number;
  readonly iterations: number;
  readonly interval: string;
  readonly threshold: number;
  readonly successRate: number;
  readonly maxLatency: number;
  readonly loadTest: { readonly path: string; readonly requestsPerSecond: number; readonly concurrency: number } | false;
  readonly manualPromotion: boolean;
}

/** Per-tier release analysis: quick in development, careful in production (smaller steps, a manual gate). */
export const releaseDefaults: Record<Tier, ReleaseDefaults> = {
  development: {
    stepWeight: 20,
    maxWeight: 100,
    iterations: 5,
    interval: '30s',
    threshold: 5,
    successRate: 99,
    maxLatency: 500,
    loadTest: { path: '/', requestsPerSecond: 10, concurrency: 2 },
    manualPromotion: false,
  },
  staging: {
    stepWeight: 10,
    maxWeight: 50,
    iterations: 10,
    interval: '1m',
    threshold: 5,
    successRate: 99,
    maxLatency: 500,
    loadTest: { path: '/', requestsPerSecond: 10, concurrency: 2 },
    manualPromotion: false,
  },
  production: {
    stepWeight: 5,
    maxWeight: 50,
    iterations: 10,
    interval: '1m',
    threshold: 3,
    successRate: 99.5,
    maxLatency: 500,
    loadTest: false,
    manualPromotion: true,
  },
};

/** What of the rest of the environment `mesh:apps` is checked against. */
export interface AppsContext {
  /** The observability stack's namespace. */
  readonly observabilityNamespace: string;
  /** Namespaces the deployed demo apps use. */
  readonly demoNamespaces: readonly string[];
  /** The public gateway's hosts (mesh:ingress.hosts) and, with TLS, its HTTPS hosts (mesh:ingress.tls.hosts). */
  readonly gateway?: { readonly hosts: readonly string[]; readonly httpsHosts?: readonly string[] };
  /**
   * The hosts of the external services the environment allows (mesh:egress.services, and those of the deployed demos).
   * @default - not checked
   */
  readonly egressHosts?: readonly string[];
}

/**
 * Problems of `mesh:apps` that need the rest of the environment: namespaces reserved by Kubernetes,
 * Istio, Flux and the platform (its observability namespace and the deployed demos' namespaces included).
 */
export function appsContextIssues(apps: AppsSettings, context: AppsContext): { path: string[]; input: unknown; message: string }[] {
  const issues: { path: string[]; input: unknown; message: string }[] = [];
  for (const namespace of Object.keys(apps)) {
    const why = isReservedAppNamespace(namespace)
      ? 'is reserved for Kubernetes, Istio, Flux or the platform'
      : namespace === context.observabilityNamespace
        ? 'is the observability stack’s (mesh:observability.namespace)'
        : context.demoNamespaces.includes(namespace)
          ? 'is used by the demo apps this environment deploys (mesh:demo, mesh:canary)'
          : undefined;
    if (why) {
      issues.push({
        path: ['apps', namespace],
        input: namespace,
        message: `namespace ${JSON.stringify(namespace)} ${why}; put the apps in a namespace of their own, such as ${namespace === 'default' ? 'shop' : `${namespace}-apps`}`,
      });
    }
  }
  const allowed = context.egressHosts;
  if (allowed) {
    for (const [namespace, inNamespace] of Object.entries(apps)) {
      for (const [name, app] of Object.entries(inNamespace ?? {})) {
        (app?.egress ?? []).forEach((host, i) => {
          // A host that is no DNS name is reported by the schema of mesh:apps already.
          if (typeof host !== 'string' || !EXTERNAL_HOST.test(host) || allowed.includes(host)) return;
          issues.push({
            path: ['apps', namespace, name, 'egress', String(i)],
            input: host,
            message: `${JSON.stringify(host)} is not an external service of this environment (hosts of mesh:egress.services: ${allowed.join(', ') || 'none'}); add a service with that host to mesh:egress.services, or remove it`,
          });
        });
      }
    }
  }
  const gateway = context.gateway;
  if (gateway) {
    const asGateway = { gatewayName: '', gatewayNamespace: '', reference: '', ...gateway };
    for (const [namespace, inNamespace] of Object.entries(apps)) {
      for (const [name, app] of Object.entries(inNamespace ?? {})) {
        (app?.expose?.hosts ?? []).forEach((host, i) => {
          if (typeof host !== 'string' || gatewayServesHost(asGateway, host)) return;
          const served = gateway.httpsHosts
            ? `its HTTPS server serves ${gateway.httpsHosts.join(', ')} (mesh:ingress.tls.hosts)`
            : `it serves ${gateway.hosts.join(', ')} (mesh:ingress.hosts)`;
          issues.push({
            path: ['apps', namespace, name, 'expose', 'hosts', String(i)],
            input: host,
            message: `the public gateway never routes ${JSON.stringify(host)}: ${served}; add the host there or expose a host it serves`,
          });
        });
      }
    }
  }
  return issues;
}
