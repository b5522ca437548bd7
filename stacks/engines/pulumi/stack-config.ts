import * as pulumi from '@pulumi/pulumi';
import { EnvironmentConfig, parseEnvironment } from '../../environments';

/**
 * The stack's configuration, read through Pulumi (so `pulumi config set` and the stack file agree)
 * and validated by the same parser `npm run synth` uses for `Pulumi.<stack>.yaml`.
 */
export function stackEnvironment(): EnvironmentConfig {
  const stack = pulumi.getStack();
  const values = Object.fromEntries(Object.entries(pulumi.runtime.allConfig()).map(([key, raw]) => [key, parseConfigValue(raw)]));
  return parseEnvironment(stack, values, `Pulumi.${stack}.yaml`);
}

/** Pulumi hands structured values over as JSON text and plain values as text. */
function parseConfigValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
