import { PRODUCTION_REQUIRED } from './production';
import { parseEnvironment, EnvironmentConfig } from '../../stacks/environments';

/**
 * Production's demos opted in: `mesh:demo.apps` lists httpbin and sleep and the httpbin canary is on
 * (production has neither by default). Its manual promotion gate stays production's.
 */
export const DEMO_OPT_IN = {
  'mesh:demo': { apps: ['httpbin', 'sleep'] },
  'mesh:canary': { httpbinCanary: { enabled: true } },
} as const;

/** The production preset with the demos opted in, as if `Pulumi.prod.yaml` set {@link DEMO_OPT_IN}. */
export function prodWithDemos(extra: Record<string, unknown> = {}): EnvironmentConfig {
  return parseEnvironment('prod', { ...PRODUCTION_REQUIRED, ...DEMO_OPT_IN, ...extra }, 'Pulumi.prod.yaml');
}
