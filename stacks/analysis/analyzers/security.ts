import { ISTIO_SYSTEM_NAMESPACE } from '../../../constructs/platform/istio-release';
import { Analyzer, objectName, RawFinding } from '../analyzer';
import { hostNamespace, istioObjects, meshModel, podsIn, selectorMatches } from './mesh-model';

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
      for (const ap of istioObjects(objects, 'AuthorizationPolicy')) {
        const spec = (ap.spec ?? {}) as PolicySpec;
        const labels = spec.selector?.matchLabels;
        if (!labels || Object.keys(labels).length === 0 || spec.targetRef || spec.targetRefs) continue;
        const ns = ap.metadata.namespace ?? 'default';
        // A policy of the root namespace selects workloads of every namespace.
        const root = ns === ISTIO_SYSTEM_NAMESPACE;
        if (root ? model.chartNamespaces.size > 0 : model.chartNamespaces.has(ns)) continue; // chart pods are not in the output
        const matches = (root ? model.pods : podsIn(model, ns)).some((p) => selectorMatches(labels, p.labels));
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
      istioObjects(objects, 'AuthorizationPolicy')
        .filter((o) => (o.spec as PolicySpec | undefined)?.action === 'DENY')
        .filter((o) => ((o.spec as PolicySpec).rules ?? []).length === 0)
        .map((ap) => ({
          target: ap,
          message: `${objectName(ap)}: action DENY with no rules matches no request, so it denies nothing (an ALLOW policy without rules is what denies everything)`,
          fix: `give it rules naming what to deny (rules: [{}] denies every request), or use an ALLOW policy with no rules for default deny`,
        })),
  },
  {
    code: 'MESH0010',
    name: 'CallIntoUngovernedNamespace',
    severity: 'error',
    description:
      "a Sidecar's egress host (a declared call) is in a namespace some AuthorizationPolicy governs (else nothing there allows that call or denies any other)",
    analyze: ({ objects }) => {
      const policies = istioObjects(objects, 'AuthorizationPolicy');
      const governed = new Set(policies.map((o) => o.metadata.namespace ?? 'default'));
      // A policy of the root namespace without a selector applies to every namespace.
      const meshWide = policies.find(
        (o) =>
          (o.metadata.namespace ?? 'default') === ISTIO_SYSTEM_NAMESPACE &&
          Object.keys((o.spec as PolicySpec | undefined)?.selector?.matchLabels ?? {}).length === 0 &&
          !(o.spec as PolicySpec | undefined)?.targetRef &&
          !(o.spec as PolicySpec | undefined)?.targetRefs,
      );
      if (meshWide) return [];
      // A namespace the output holds nothing of is not judged: its policies are not in the output either (an app-only
      // tree for a cluster where the platform runs, whose tracing collector its Sidecars call).
      const chartNamespaces = new Set(
        objects
          .filter((o) => o.kind === 'HelmRelease' && o.apiVersion.startsWith('helm.toolkit.fluxcd.io/'))
          .map((o) => (o.spec as { targetNamespace?: string } | undefined)?.targetNamespace ?? o.metadata.namespace ?? 'default'),
      );
      const present = new Set(objects.map((o) => (o.kind === 'Namespace' ? o.metadata.name : o.metadata.namespace)));
      const findings: RawFinding[] = [];
      for (const sidecar of istioObjects(objects, 'Sidecar')) {
        const egress = ((sidecar.spec as { egress?: { hosts?: string[] }[] } | undefined)?.egress ?? []).flatMap((e) => e.hosts ?? []);
        const ungoverned = [...new Set(egress)].flatMap((entry) => {
          const host = entry.includes('/') ? entry.slice(entry.indexOf('/') + 1) : entry;
          const ns = hostNamespace(host);
          // Wildcards are no declared call; what a Helm release installs (its policies too) is not in the output.
          if (!ns || host.includes('*') || governed.has(ns) || chartNamespaces.has(ns) || !present.has(ns)) return [];
          return [{ host, ns }];
        });
        for (const { host, ns } of ungoverned) {
          findings.push({
            target: sidecar,
            message: `${objectName(sidecar)}: spec.egress hosts ${host}, a call into namespace ${ns}, where no AuthorizationPolicy governs, so nothing there allows that call or denies any other`,
            fix: `govern namespace ${ns} (add its apps to a ZeroTrustPolicy, or an AuthorizationPolicy there), or remove the call`,
          });
        }
      }
      return findings;
    },
  },
];
