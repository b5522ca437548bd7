import { z } from 'zod';
import { parseResources } from '../../constructs/workloads/mesh-app';

/** A Kubernetes CPU quantity: millicores (`250m`) or cores (`0.5`, `2`). */
const cpu = z
  .union([z.number().positive(), z.string().regex(/^([1-9][0-9]*m|[0-9]+(\.[0-9]+)?)$/, 'must be a CPU quantity such as 100m or 0.5')])
  .transform(String);
/** A Kubernetes memory quantity in binary units (`64Mi`, `1Gi`). */
const memory = z.string().regex(/^[1-9][0-9]*(Ki|Mi|Gi|Ti)$/, 'must be a memory quantity such as 128Mi or 1Gi');

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
