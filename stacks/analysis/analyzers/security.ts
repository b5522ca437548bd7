import { ISTIO_SYSTEM_NAMESPACE } from '../../../constructs/platform/istio-release';
import { Analyzer, objectName, RawFinding } from '../analyzer';
import { isIstio, meshModel } from './mesh-model';

interface PolicySpec {
  readonly action?: string;
  readonly rules?: unknown[];
  readonly selector?: { readonly matchLabels?: Record<string, string> };
  readonly targetRef?: unknown;
  readonly targetRefs?: unknown[];
}

/** Authorization rules: every policy applies to something and does what its action says. */
export const SECURITY_ANALYZERS: readonly Analyzer[] = [
  {
    code: 'MESH0006',
    name: 'AuthorizationPolicySelectsNothing',
    severity: 'warning',
    description: "an AuthorizationPolicy's selector matches the pods of some workload (else it protects nothing)",
    analyze: ({ objects }) => {
      const model = meshModel(objects);
      const findings: RawFinding[] = [];
      for (const ap of objects.filter((o) => isIstio(o, 'AuthorizationPolicy'))) {
        const spec = (ap.spec ?? {}) as PolicySpec;
        const labels = spec.selector?.matchLabels;
        if (!labels || Object.keys(labels).length === 0 || spec.targetRef || spec.targetRefs) continue;
        const ns = ap.metadata.namespace ?? 'default';
        // A policy of the root namespace selects workloads of every namespace.
        const root = ns === ISTIO_SYSTEM_NAMESPACE;
        if (root ? model.chartNamespaces.size > 0 : model.chartNamespaces.has(ns)) continue; // chart pods are not in the output
        const matches = model.pods.some((p) => (root || p.namespace === ns) && Object.entries(labels).every(([k, v]) => p.labels[k] === v));
        if (matches) continue;
        findings.push({
          target: ap,
          message: `${objectName(ap)}: spec.selector.matchLabels ${JSON.stringify(labels)} selects no pod of ${root ? 'the mesh' : `namespace ${ns}`}, so the policy protects nothing`,
          fix: `select the labels of the workload's pod template (e.g. app: <name>), or remove the policy`,
        });
      }
      return findings;
    },
  },
  {
    code: 'MESH0007',
    name: 'DenyWithoutRules',
    severity: 'error',
    description: 'a DENY AuthorizationPolicy has rules: without any it matches no request, so it denies nothing',
    analyze: ({ objects }) =>
      objects
        .filter((o) => isIstio(o, 'AuthorizationPolicy') && (o.spec as PolicySpec | undefined)?.action === 'DENY')
        .filter((o) => ((o.spec as PolicySpec).rules ?? []).length === 0)
        .map((ap) => ({
          target: ap,
          message: `${objectName(ap)}: action DENY with no rules matches no request, so it denies nothing (an ALLOW policy without rules is what denies everything)`,
          fix: `give it rules naming what to deny (rules: [{}] denies every request), or use an ALLOW policy with no rules for default deny`,
        })),
  },
];
