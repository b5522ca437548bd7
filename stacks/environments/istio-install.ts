import { z } from 'zod';
import type { Tier } from './schema';
import { checkReplicaRange, resourcesSchema as resources } from './resources';

/** Horizontal autoscaling of a component (istiod, a gateway). */
const autoscaling = z
  .strictObject({
    /** Fewest replicas. */
    minReplicas: z.number().int().min(1).max(50),
    /** Most replicas. */
    maxReplicas: z.number().int().min(1).max(100),
    /** Target average CPU utilization, percent of the request. */
    cpuUtilization: z.number().int().min(1).max(100),
  })
  .superRefine(checkReplicaRange);

/** How one Istio deployment is scaled. */
const scaling = {
  /** Replicas when there is no autoscaling. */
  replicas: z.number().int().min(1).max(50),
  /** Horizontal autoscaling; replaces `replicas`. */
  autoscaling: autoscaling.optional(),
  /** A PodDisruptionBudget (minAvailable 1); needs at least 2 replicas. */
  podDisruptionBudget: z.boolean(),
};

/**
 * `mesh:istio.install`: how Istio itself is installed (charts base, istiod, gateway, cni at the pinned
 * release). Mesh-wide policy (mTLS, sampling, access logs) stays in the other `mesh:istio` keys.
 */
export const istioInstallSchema = z.strictObject({
  /**
   * `default`, or `openshift` (scenario S8): OpenShift's security constraints; requires `cni: true`,
   * since OpenShift does not let pods run the privileged istio-init container.
   */
  profile: z.enum(['default', 'openshift']),
  /** Install the Istio CNI plugin, so application pods need no NET_ADMIN/NET_RAW init container. */
  cni: z.boolean(),
  /** `REGISTRY_ONLY`: sidecars reach only hosts with a ServiceEntry (`mesh:egress`); `ALLOW_ANY`: anything. */
  outboundTrafficPolicy: z.enum(['ALLOW_ANY', 'REGISTRY_ONLY']),
  /**
   * The sidecar proxy injected into every pod of the mesh: its requests and limits (istiod's
   * `global.proxy.resources`). Multiplied by every pod, it is most of a small mesh's footprint.
   */
  proxy: z.strictObject({ resources }),
  /** istiod, which also serves the sidecar injection webhook on every pod creation. */
  istiod: z.strictObject({
    ...scaling,
    /** Requests and limits of istiod; left out, the chart's (500m CPU and 2Gi requested, no limits). */
    resources: resources.optional(),
  }),
  /** The ingress gateway `istio-ingressgateway` (label `istio: ingressgateway`) in istio-system. */
  ingressGateway: z.strictObject({
    ...scaling,
    /** Requests and limits of each gateway proxy. */
    resources,
    /** How the gateway Service is exposed. */
    serviceType: z.enum(['LoadBalancer', 'NodePort', 'ClusterIP']),
  }),
  /** The optional egress gateway `istio-egressgateway` (label `istio: egressgateway`) in istio-system. */
  egressGateway: z.strictObject({
    /** Install it. */
    enabled: z.boolean(),
    ...scaling,
    /** Requests and limits of each gateway proxy. */
    resources,
  }),
  /**
   * The tracing backend istiod registers as extension provider and default tracing provider.
   * Left out, the observability stack's Jaeger is used when the platform deploys one.
   */
  tracing: z
    .strictObject({
      /** The provider name Telemetry resources use. */
      name: z.string(),
      /** OTLP gRPC or Zipkin. */
      protocol: z.enum(['opentelemetry', 'zipkin']),
      /** The collector Service, fully qualified. */
      service: z.string(),
      /** The collector port. */
      port: z.number().int().min(1).max(65535),
    })
    .optional(),
});

/** Settings of `mesh:istio.install`. */
export type IstioInstallSettings = z.output<typeof istioInstallSchema>;

/**
 * Requests and limits of Istio's proxies and istiod per tier. Development fits a laptop (Istio's own demo profile
 * requests 10m and 40Mi per proxy); production keeps Istio's defaults (100m/128Mi per proxy, limits 2 CPU/1Gi;
 * istiod the chart's 500m/2Gi without limits, which its autoscaler's CPU target is relative to).
 */
const proxyResources = {
  development: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '1', memory: '512Mi' } },
  staging: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '1', memory: '512Mi' } },
  production: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2', memory: '1Gi' } },
};
const gatewayResources = {
  development: { requests: { cpu: '20m', memory: '64Mi' }, limits: { cpu: '1', memory: '512Mi' } },
  staging: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2', memory: '1Gi' } },
  production: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2', memory: '1Gi' } },
};

/** Per-tier defaults of `mesh:istio.install`: small in development, highly available in production. */
export const istioInstallPresets: Record<Tier, IstioInstallSettings> = {
  development: {
    profile: 'default',
    cni: false,
    outboundTrafficPolicy: 'ALLOW_ANY',
    proxy: { resources: proxyResources.development },
    istiod: {
      replicas: 1,
      podDisruptionBudget: false,
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
    },
    ingressGateway: { replicas: 1, podDisruptionBudget: false, serviceType: 'LoadBalancer', resources: gatewayResources.development },
    egressGateway: { enabled: false, replicas: 1, podDisruptionBudget: false, resources: gatewayResources.development },
  },
  staging: {
    profile: 'default',
    cni: false,
    outboundTrafficPolicy: 'REGISTRY_ONLY',
    proxy: { resources: proxyResources.staging },
    istiod: {
      replicas: 2,
      podDisruptionBudget: true,
      resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '2', memory: '2Gi' } },
    },
    ingressGateway: { replicas: 2, podDisruptionBudget: true, serviceType: 'LoadBalancer', resources: gatewayResources.staging },
    egressGateway: { enabled: true, replicas: 1, podDisruptionBudget: false, resources: gatewayResources.staging },
  },
  production: {
    profile: 'default',
    cni: true,
    outboundTrafficPolicy: 'REGISTRY_ONLY',
    proxy: { resources: proxyResources.production },
    istiod: { replicas: 2, autoscaling: { minReplicas: 2, maxReplicas: 5, cpuUtilization: 80 }, podDisruptionBudget: true },
    ingressGateway: {
      replicas: 3,
      autoscaling: { minReplicas: 3, maxReplicas: 10, cpuUtilization: 80 },
      podDisruptionBudget: true,
      serviceType: 'LoadBalancer',
      resources: gatewayResources.production,
    },
    egressGateway: { enabled: true, replicas: 2, podDisruptionBudget: true, resources: gatewayResources.production },
  },
};
