import { EnvironmentSettings, Tier } from './schema';

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
    istio: { mtls: 'PERMISSIVE', tracingSampling: 100, accessLogging: true },
    demo: { namespace: 'demo', apps: ['httpbin', 'sleep'] },
  },
  staging: {
    tier: 'staging',
    delivery: 'gitops',
    workloads: {
      replicas: 2,
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
      podDisruptionBudget: true,
    },
    istio: { mtls: 'STRICT', tracingSampling: 10, accessLogging: true },
    demo: { namespace: 'demo', apps: ['httpbin', 'sleep'] },
  },
  production: {
    tier: 'production',
    delivery: 'gitops',
    workloads: {
      replicas: 3,
      resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '2', memory: '1Gi' } },
      podDisruptionBudget: true,
    },
    istio: { mtls: 'STRICT', tracingSampling: 1, accessLogging: false },
    demo: { namespace: 'demo', apps: ['httpbin', 'sleep'] },
  },
};

/** The tier a stack name implies when the file does not say. */
export const tierOfStackName: Record<string, Tier> = { dev: 'development', staging: 'staging', prod: 'production' };
