import { canaryProblems, destinationRuleProblems, virtualServiceProblems } from '../../../constructs/traffic/resilient-route';
import { KubeObject } from '../../../constructs/core/kube-object';
import { Analyzer, RawFinding } from '../analyzer';
import { fixClause } from './existing';
import { isIstio } from './mesh-model';

/** Where each message of the field checks starts its fix. */
const FIX_MARKERS = ['; move it up to', '; set it on', '; use consecutive5xxErrors'];

/** The field problems of one object: DestinationRules, VirtualServices and Flagger Canaries (their copied traffic policy). */
function fieldProblems(o: KubeObject): string[] {
  if (isIstio(o, 'DestinationRule')) return destinationRuleProblems(o);
  if (isIstio(o, 'VirtualService')) return virtualServiceProblems(o);
  if (o.kind === 'Canary' && o.apiVersion.startsWith('flagger.app/')) return canaryProblems(o);
  return [];
}

/**
 * Fields a cluster drops silently, on every rendered object (a raw ApiObject or YAML of a user's chart included, not
 * only what ResilientRoute generates and checks early): `outlierDetection` or anything else but `tcp` and `http`
 * inside `connectionPool`, the removed `consecutiveErrors`, `timeout`/`retries`/`fault` on a route destination
 * instead of its HTTP route. `istioctl analyze` reports unknown fields as IST0106.
 */
export const SCHEMA_ANALYZERS: readonly Analyzer[] = [
  {
    code: 'IST0106',
    name: 'SchemaValidationError',
    severity: 'error',
    description:
      'no field is misplaced where a cluster drops it silently (outlierDetection inside connectionPool, consecutiveErrors, a timeout or retries on a route destination)',
    analyze: ({ objects }) =>
      objects.flatMap((o) =>
        fieldProblems(o).map((message): RawFinding => ({
          target: o,
          message,
          fix: fixClause(message, FIX_MARKERS) || 'remove the field, or move it where the API defines it',
        })),
      ),
  },
];
