import { Protocol } from '../../constructs';
import { KubeObject, objectKey } from '../../constructs/core/kube-object';
import { objectsOfKind } from './run-cache';

/**
 * Istio's workload requirements, checked on the whole rendered output. `MeshApp` generates objects
 * that satisfy them; this catches what escape hatches and hand-made objects can still break:
 * - a pod template behind several Services must not be exposed with two protocols on one port;
 * - every pod of an injected namespace must be selected by a Service.
 *
 * Linear in the number of objects: Services are indexed by namespace and `app` selector.
 * @returns one problem per line, empty when the output is sound
 */
export function checkWorkloadRules(objects: readonly KubeObject[]): string[] {
  return workloadRuleProblems(objects).map((p) => p.message);
}

/** A problem of {@link checkWorkloadRules}, with the rule and the object at fault. */
export interface WorkloadRuleProblem {
  readonly rule: 'port-protocol' | 'pod-without-service';
  readonly target: KubeObject;
  readonly message: string;
}

/** {@link checkWorkloadRules}, with the rule and object of each problem. */
export function workloadRuleProblems(objects: readonly KubeObject[]): WorkloadRuleProblem[] {
  const problems: WorkloadRuleProblem[] = [];
  const injected = new Set(
    objects
      .filter(
        (o) =>
          o.kind === 'Namespace' && o.metadata.labels && (o.metadata.labels as Record<string, string>)['istio-injection'] === 'enabled',
      )
      .map((o) => o.metadata.name),
  );
  const services = new Map<string, { object: KubeObject; selector: Record<string, string> }[]>();
  const protocols = new Map<string, { protocol: string; service: string; port: number }>();
  for (const o of objectsOfKind(objects, 'Service')) {
    const spec = o.spec as {
      selector?: Record<string, string>;
      ports?: { name?: string; port: number; targetPort?: number | string; appProtocol?: string }[];
    };
    if (!spec.selector || Object.keys(spec.selector).length === 0) continue;
    const key = `${o.metadata.namespace}/${spec.selector.app ?? ''}`;
    services.set(key, [...(services.get(key) ?? []), { object: o, selector: spec.selector }]);
    for (const p of spec.ports ?? []) {
      const protocol = p.appProtocol ?? Protocol.fromPortName(p.name ?? '')?.name ?? 'tcp';
      const portKey = `${o.metadata.namespace}/${JSON.stringify(spec.selector)}/${p.targetPort ?? p.port}`;
      const seen = protocols.get(portKey);
      if (seen && seen.protocol !== protocol) {
        problems.push({
          rule: 'port-protocol',
          target: o,
          message: `Services ${seen.service} (port ${seen.port}) and ${o.metadata.namespace}/${o.metadata.name} (port ${p.port}) select the same pods and expose container port ${p.targetPort ?? p.port} as ${seen.protocol} and as ${protocol}; Istio needs one protocol per port: name both ports for the same protocol`,
        });
      }
      if (!seen) protocols.set(portKey, { protocol, service: `${o.metadata.namespace}/${o.metadata.name}`, port: p.port });
    }
  }
  // A Flagger Canary's target is served by the Services Flagger generates from the Canary (`<app>`,
  // `<app>-canary` selecting its pods, `<app>-primary` the copies): they are not in the output by design.
  const canaryTargets = new Set(
    objectsOfKind(objects, 'Canary')
      .filter((x) => x.apiVersion.startsWith('flagger.app/'))
      .map((c) => `${c.metadata.namespace}/${(c.spec as { targetRef: { name: string } }).targetRef.name}`),
  );
  for (const o of objects.filter(
    (x) =>
      ['Deployment', 'StatefulSet', 'DaemonSet'].includes(x.kind) &&
      injected.has(x.metadata.namespace ?? '') &&
      !canaryTargets.has(`${x.metadata.namespace}/${x.metadata.name}`),
  )) {
    const labels = (o.spec as { template?: { metadata?: { labels?: Record<string, string> } } }).template?.metadata?.labels ?? {};
    const candidates = [
      ...(services.get(`${o.metadata.namespace}/${labels.app ?? ''}`) ?? []),
      ...(labels.app ? (services.get(`${o.metadata.namespace}/`) ?? []) : []),
    ];
    const selected = candidates.some((s) => Object.entries(s.selector).every(([k, v]) => labels[k] === v));
    if (!selected)
      problems.push({
        rule: 'pod-without-service',
        target: o,
        message: `${objectKey(o)}: no Service selects its pods (labels ${JSON.stringify(labels)}); Istio needs every pod of the mesh behind a Service: create one, e.g. with MeshApp`,
      });
  }
  return problems;
}
