import { z } from 'zod';
import { parseResources } from '../../constructs/workloads/mesh-app';
import { normalizeCpu, normalizeMemory } from '../../constructs/core/quantity';
import { quoteValue } from './rules';

/**
 * A Kubernetes CPU quantity: millicores (`250m`) or cores (`0.5`, `2`), or any other spelling of Kubernetes' quantity
 * grammar (`1.5k`, `2e3`), normalized to the form the workload constructs read; finer than 1m or beyond int64 is an error.
 */
const cpu = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const text = typeof value === 'number' ? String(value) : value;
  const result = normalizeCpu(text);
  if (typeof result === 'string') return result;
  ctx.addIssue({ code: 'custom', message: `CPU ${quoteValue(text)} ${result.error}`, input: value });
  return z.NEVER;
});
/** A Kubernetes memory quantity (`64Mi`, `1Gi`, `1536Ki`, `1G`), normalized to whole binary units. */
const memory = z.string().transform((text, ctx) => {
  const result = normalizeMemory(text);
  if (typeof result === 'string') return result;
  ctx.addIssue({ code: 'custom', message: `memory ${quoteValue(text)} ${result.error}`, input: text });
  return z.NEVER;
});

/**
 * The rule of every autoscaling range (`mesh:apps` autoscaling, `mesh:istio.install` istiod and gateways):
 * maxReplicas is at least minReplicas. Use with `.superRefine`.
 */
export function checkReplicaRange(a: { readonly minReplicas: number; readonly maxReplicas: number }, ctx: z.RefinementCtx): void {
  if (a.maxReplicas >= a.minReplicas) return;
  ctx.addIssue({
    code: 'custom',
    path: ['maxReplicas'],
    input: a.maxReplicas,
    message: `maxReplicas ${a.maxReplicas} is below minReplicas ${a.minReplicas}; raise maxReplicas to at least ${a.minReplicas} or lower minReplicas`,
  });
}

/**
 * Requests and limits of a container, as every `mesh:*` section spells them; a request above its limit is
 * an error (the same rule `MeshApp` applies). A leaf module, so that every section schema can use it.
 */
export const resourcesSchema = z
  .strictObject({
    /** What the scheduler reserves per container. */
    requests: z.strictObject({ cpu, memory }),
    /** The ceiling per container. */
    limits: z.strictObject({ cpu, memory }),
  })
  .superRefine((r, ctx) => {
    try {
      parseResources(r, (message) => {
        throw new Error(message);
      });
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message, input: r });
    }
  });
