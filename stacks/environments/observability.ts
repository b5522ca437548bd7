import { z } from 'zod';
import { DNS_LABEL } from '../../constructs/core/errors';
import { resourcesSchema as resources } from './resources';

/**
 * The `mesh:observability` section: sizing of the observability stack per environment and where alerts
 * go. Trace sampling and access logging stay in `mesh:istio` (they are mesh settings).
 */

const dnsLabel = z.string().regex(DNS_LABEL, 'must be a DNS-1123 label such as observability');
/** A Prometheus retention: a whole number of hours, days or weeks. */
const retention = z.string().regex(/^[1-9][0-9]*(h|d|w)$/, 'must be a retention such as 6h, 15d or 4w');
/** A volume size in Gi or Ti. */
const volumeSize = z.string().regex(/^[1-9][0-9]*(Gi|Ti)$/, 'must be a volume size such as 10Gi');
const replicas = z.number().int().min(1).max(5);
/**
 * A URL users' browsers open (Kiali's links): http(s), never an in-cluster Service address (`*.svc`,
 * `*.cluster.local`), which no browser outside the cluster resolves.
 */
const browserUrl = (example: string) =>
  z
    .string()
    .regex(/^https?:\/\/[^\s/:?#]+\S*$/, `must be an http(s):// URL such as ${example}`)
    .refine(
      (url) => !/^https?:\/\/[^/:?#]*\.(svc|cluster\.local)\.?([:/?#]|$)/.test(url),
      `must be the address users' browsers reach, not an in-cluster Service address; such as ${example} or http://localhost:<port> behind kubectl port-forward`,
    );

export const observabilitySchema = z.strictObject({
  /** Namespace of Prometheus, Grafana, Jaeger and Kiali. */
  namespace: dnsLabel,
  prometheus: z.strictObject({
    /** How long samples are kept (at least 2h). */
    retention: retention.superRefine((r, ctx) => {
      if (!(r.endsWith('h') && Number(r.slice(0, -1)) < 2)) return;
      ctx.addIssue({ code: 'custom', input: r, message: `must be at least 2h (one TSDB block), got string ${JSON.stringify(r)}` });
    }),
    /** A PersistentVolumeClaim of this size; leave out for no persistence (emptyDir). */
    storageSize: volumeSize.optional(),
    /** Prometheus replicas (a StatefulSet above 1). */
    replicas,
    /** Requests and limits of the Prometheus server. */
    resources,
  }),
  alertmanager: z.strictObject({
    /** Alertmanager replicas. */
    replicas,
    /** A PersistentVolumeClaim of this size for silences; leave out for none. */
    storageSize: volumeSize.optional(),
    /** Requests and limits of each Alertmanager. */
    resources,
  }),
  grafana: z.strictObject({
    /** The Secret (created outside Git) with keys admin-user and admin-password. */
    adminSecret: dnsLabel,
    /** Where users' browsers reach Grafana (Kiali links there); leave out for no links. Kiali's own queries stay in-cluster. */
    externalUrl: browserUrl('https://grafana.example.com').optional(),
    /** Requests and limits of Grafana. */
    resources,
  }),
  jaeger: z.strictObject({
    /** Traces kept in memory. */
    maxTraces: z.number().int().min(1000),
    /** Where users' browsers reach the Jaeger UI (Kiali links there); leave out for no links. Kiali's own queries stay in-cluster. */
    externalUrl: browserUrl('https://jaeger.example.com').optional(),
    /** Requests and limits of Jaeger; its memory holds the `maxTraces` traces. */
    resources,
  }),
  kiali: z.strictObject({
    /** How users log in: anonymous (development only), token, or openid. */
    auth: z.enum(['anonymous', 'token', 'openid']),
    /** The OpenID issuer and client (auth openid only; the client secret is the Secret kiali, key oidc-secret). */
    openId: z
      .strictObject({ issuerUri: z.string().regex(/^https:\/\/\S+$/, 'must be an https:// URL'), clientId: z.string().min(1) })
      .optional(),
    /** Requests and limits of Kiali. */
    resources,
  }),
  alerts: z.strictObject({
    /** The chat service alerts are sent to; none keeps them in Alertmanager. */
    receiver: z.enum(['slack', 'teams', 'none']),
    /** The Secret (created outside Git) holding the webhook URL. */
    webhookSecret: dnsLabel,
    /** The key of the webhook URL in that Secret. */
    webhookSecretKey: z.string().regex(/^[-._a-zA-Z0-9]+$/, 'must be a Secret key such as webhook-url'),
    /** The Slack channel (Slack only). */
    channel: z
      .string()
      .regex(/^[#@]?[-_a-z0-9.]{1,80}$/, 'must be a channel such as #mesh-alerts')
      .optional(),
    /** P99 latency per service above which an alert fires, in milliseconds (scenario S8: 200). */
    latencyP99Ms: z.number().int().positive(),
    /** Percentage of 5xx responses per service above which an alert fires. */
    errorRatePercent: z.number().gt(0).lt(100),
  }),
});

/** The `mesh:observability` section, validated. */
export type ObservabilitySettings = z.output<typeof observabilitySchema>;

/**
 * Requests and limits of Alertmanager, Grafana, Jaeger and Kiali, the same in every tier (small: they serve a few
 * users; what grows with the mesh is Prometheus, sized per tier below). Every component has requests, so that
 * `mesh footprint` can account for it and the scheduler reserves it.
 */
const sizes = {
  alertmanager: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
  grafana: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
  jaeger: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
  kiali: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '500m', memory: '1Gi' } },
};

/** Per-tier defaults of `mesh:observability` (used by presets.ts). */
export const observabilityPresets: Record<'development' | 'staging' | 'production', ObservabilitySettings> = {
  // Small enough for a laptop cluster: no volumes, short retention, anonymous Kiali, no notifications.
  development: {
    namespace: 'observability',
    prometheus: {
      retention: '6h',
      replicas: 1,
      resources: { requests: { cpu: '50m', memory: '256Mi' }, limits: { cpu: '500m', memory: '1Gi' } },
    },
    alertmanager: { replicas: 1, resources: sizes.alertmanager },
    grafana: { adminSecret: 'grafana-admin', resources: sizes.grafana },
    jaeger: { maxTraces: 10000, resources: sizes.jaeger },
    kiali: { auth: 'anonymous', resources: sizes.kiali },
    alerts: { receiver: 'none', webhookSecret: 'alertmanager-webhook', webhookSecretKey: 'url', latencyP99Ms: 200, errorRatePercent: 1 },
  },
  staging: {
    namespace: 'observability',
    prometheus: {
      retention: '7d',
      storageSize: '20Gi',
      replicas: 1,
      resources: { requests: { cpu: '200m', memory: '1Gi' }, limits: { cpu: '1', memory: '2Gi' } },
    },
    alertmanager: { replicas: 1, resources: sizes.alertmanager },
    grafana: { adminSecret: 'grafana-admin', resources: sizes.grafana },
    jaeger: { maxTraces: 50000, resources: sizes.jaeger },
    kiali: { auth: 'token', resources: sizes.kiali },
    alerts: {
      receiver: 'slack',
      webhookSecret: 'alertmanager-webhook',
      webhookSecretKey: 'url',
      channel: '#mesh-alerts-staging',
      latencyP99Ms: 200,
      errorRatePercent: 1,
    },
  },
  // Highly available and persistent: two Prometheus replicas with their own volumes, clustered Alertmanager.
  production: {
    namespace: 'observability',
    prometheus: {
      retention: '15d',
      storageSize: '100Gi',
      replicas: 2,
      resources: { requests: { cpu: '500m', memory: '2Gi' }, limits: { cpu: '2', memory: '4Gi' } },
    },
    alertmanager: { replicas: 2, storageSize: '1Gi', resources: sizes.alertmanager },
    grafana: { adminSecret: 'grafana-admin', resources: sizes.grafana },
    jaeger: { maxTraces: 100000, resources: sizes.jaeger },
    kiali: { auth: 'token', resources: sizes.kiali },
    alerts: {
      receiver: 'slack',
      webhookSecret: 'alertmanager-webhook',
      webhookSecretKey: 'url',
      channel: '#mesh-alerts',
      latencyP99Ms: 200,
      errorRatePercent: 1,
    },
  },
};
