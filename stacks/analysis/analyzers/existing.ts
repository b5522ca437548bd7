import { flaggerCollisions } from '../../../constructs/delivery/canary-release';
import { KubeObject } from '../../../constructs/core/kube-object';
import { Analyzer, RawFinding } from '../analyzer';
import { layeringProblems } from '../layering';
import { oncePerRun } from '../run-cache';
import { workloadRuleProblems } from '../workload-rules';

/** The fix clause of a message that states its own fix: the text from the first of `markers` on. */
export function fixClause(message: string, markers: readonly string[]): string {
  const at = markers.map((m) => message.indexOf(m)).filter((i) => i >= 0);
  return at.length > 0 ? message.slice(Math.min(...at)).replace(/^[;:]\s*/, '') : '';
}

const workloadRule = (rule: 'port-protocol' | 'pod-without-service', markers: string[]) => (objects: readonly KubeObject[]) =>
  oncePerRun('workloadRuleProblems', objects, () => workloadRuleProblems(objects))
    .filter((p) => p.rule === rule)
    .map((p): RawFinding => ({ target: p.target, message: p.message, fix: fixClause(p.message, markers) }));

const layeringRule =
  (rule: 'crd-order' | 'release-namespace', markers: string[]): Analyzer['analyze'] =>
  ({ app, charts, clusterApiGroups }) =>
    oncePerRun('layeringProblems', charts!, () => layeringProblems(app!, charts!, clusterApiGroups))
      .filter((p) => p.rule === rule)
      .map((p) => ({ target: p.target, where: p.where, message: p.message, fix: fixClause(p.message, markers) }));

/** The checks the platform had before the registry, with their messages unchanged. */
export const EXISTING_ANALYZERS: readonly Analyzer[] = [
  {
    code: 'MESH0001',
    name: 'PodWithoutService',
    severity: 'error',
    description: 'every pod of an injected namespace is selected by a Service (Istio routes to Services, not pods)',
    analyze: ({ objects }) => workloadRule('pod-without-service', [': create one'])(objects),
  },
  {
    code: 'MESH0002',
    name: 'ConflictingPortProtocols',
    severity: 'error',
    description: 'Services selecting the same pods expose a container port with one protocol',
    analyze: ({ objects }) => workloadRule('port-protocol', [': name both ports'])(objects),
  },
  {
    code: 'MESH0003',
    name: 'CustomResourceBeforeItsCrd',
    severity: 'error',
    description: 'every custom resource is in a layer after the Helm release, or in or after the layer of the CRD, that installs its kind',
    needsApp: true,
    analyze: layeringRule('crd-order', ['; move the', '; declare the']),
  },
  {
    code: 'MESH0004',
    name: 'HelmReleaseBeforeItsNamespace',
    severity: 'error',
    description: 'no Helm release installs into a namespace the platform declares in a later layer',
    needsApp: true,
    analyze: layeringRule('release-namespace', ['; declare the Namespace']),
  },
  {
    code: 'MESH0005',
    name: 'FlaggerCollision',
    severity: 'error',
    description:
      "no object fights Flagger over what it generates for a Canary (its Services, DestinationRules, VirtualService, primary Deployment, the target's replicas)",
    analyze: ({ objects }) => {
      const messages = flaggerCollisions(objects);
      if (messages.length === 0) return [];
      const byKey = new Map(objects.map((o) => [`${o.kind} ${o.metadata.namespace ?? 'default'}/${o.metadata.name}`, o]));
      return messages.map((message) => {
        const key = /^(\S+ [^/\s]+\/\S+)/.exec(message)?.[1];
        return {
          target: key ? byKey.get(key) : undefined,
          where: key,
          message,
          fix:
            fixClause(message, ['; put its', '; one VirtualService', '; leave replicas']) ||
            'generate it no more: Flagger creates and owns it for the Canary',
        };
      });
    },
  },
];
