import { EnvironmentSettings, Tier } from './schema';
import { istioInstallPresets } from './istio-install';
import { ingressPresets } from './ingress';
import { egressPresets } from './egress';
import { observabilityPresets } from './observability';
import { securityDefaults } from './security';
import { canaryPresets } from './canary';

/**
 * What each tier assumes when its `Pulumi.<env>.yaml` is silent. Kept in one table so that the
 * differences between environments are visible side by side.
 */
export const presets: Record<Tier, EnvironmentSettings> = {
  development: {
    tier: 'development',
    delivery: 'push',
    workloads: {
      replicas: 1,
      resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
      podDisruptionBudget: false,
    },
    istio: { mtls: 'PERMISSIVE', tracingSampling: 100, accessLogging: true, install: istioInstallPresets.development },
    ingress: ingressPresets.development,
    egress: egressPresets.development,
    demo: { namespace: 'demo', apps: ['httpbin', 'sleep', 'bookinfo'] },
    // Default deny in development too, so dev shows exactly the declared dependency graph; it may be turned off there.
    security: { defaultDeny: true, sidecarScoping: true, networkPolicies: true, ...securityDefaults },
    // Generous in development: long timeouts, faults allowed to try things out.
    resilience: {
      timeout: '30s',
      retries: {
        attempts: 2,
        perTryTimeout: '10s',
        retryOn: ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'gateway-error'],
      },
      outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 100 },
      allowFaults: true,
    },
    observability: observabilityPresets.development,
    canary: canaryPresets.development,
    apps: {},
  },
  staging: {
    tier: 'staging',
    delivery: 'gitops',
    workloads: {
      replicas: 2,
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
      podDisruptionBudget: true,
    },
    istio: { mtls: 'STRICT', tracingSampling: 10, accessLogging: true, install: istioInstallPresets.staging },
    ingress: ingressPresets.staging,
    egress: egressPresets.staging,
    demo: { namespace: 'demo', apps: ['httpbin', 'sleep', 'bookinfo'] },
    security: { defaultDeny: true, sidecarScoping: true, networkPolicies: true, ...securityDefaults },
    // Staging mirrors production's policy but allows header-scoped fault injection for resilience tests.
    resilience: {
      timeout: '15s',
      retries: {
        attempts: 2,
        perTryTimeout: '5s',
        retryOn: ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'gateway-error'],
      },
      outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50 },
      allowFaults: true,
    },
    observability: observabilityPresets.staging,
    canary: canaryPresets.staging,
    apps: {},
  },
  production: {
    tier: 'production',
    delivery: 'gitops',
    workloads: {
      replicas: 3,
      resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '2', memory: '1Gi' } },
      podDisruptionBudget: true,
    },
    istio: { mtls: 'STRICT', tracingSampling: 1, accessLogging: false, install: istioInstallPresets.production },
    ingress: ingressPresets.production,
    egress: egressPresets.production,
    // No demo app in production unless the environment opts in (mesh:demo.apps): nothing of them is rendered.
    demo: { namespace: 'demo', apps: [] },
    // Production requires defaultDeny and STRICT mTLS.
    security: { defaultDeny: true, sidecarScoping: true, networkPolicies: true, ...securityDefaults },
    // Production refuses fault injection unless mesh:resilience.allowFaults is set explicitly.
    resilience: {
      timeout: '15s',
      retries: {
        attempts: 2,
        perTryTimeout: '5s',
        retryOn: ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'gateway-error'],
      },
      outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 30 },
      allowFaults: false,
    },
    observability: observabilityPresets.production,
    canary: canaryPresets.production,
    apps: {},
  },
};

/** The tier a stack name implies when the file does not say. */
export const tierOfStackName: Record<string, Tier> = { dev: 'development', staging: 'staging', prod: 'production' };
