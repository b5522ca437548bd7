import { KubeObject } from '../../engines/render';
import type { AccessDecision } from './evaluate';

/** The label Kubernetes sets on every namespace to its name. */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** A pod, as NetworkPolicies see it: its namespace and its labels. */
export interface NetworkPod {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Where a connection comes from: a pod of the cluster, or `outside` the pod network (the Kubernetes API server
 * calling a webhook, a load balancer, a client on the internet), which only a rule without `from` (or an
 * `ipBlock` covering its address) admits.
 */
export type NetworkSource = NetworkPod | 'outside';

/** A TCP connection to explain. */
export interface NetworkConnection {
  readonly from: NetworkSource;
  /** The destination pod. */
  readonly to: NetworkPod;
  /** The destination container port. */
  readonly port: number;
  /** @default TCP */
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP';
}

/** What the NetworkPolicies decide about a connection. */
export interface NetworkDecision {
  readonly allowed: boolean;
  /** The policies that decided (`NetworkPolicy <namespace>/<name>`): those that admit it, or those that isolate the pod. */
  readonly decidedBy: readonly string[];
  /** Why, in one sentence. */
  readonly reason: string;
}

interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly { key: string; operator: string; values?: readonly string[] }[];
}
interface Peer {
  readonly podSelector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
  readonly ipBlock?: { cidr: string; except?: readonly string[] };
}
interface Port {
  readonly port?: number | string;
  readonly endPort?: number;
  readonly protocol?: string;
}
interface PolicyRule {
  readonly from?: readonly Peer[];
  readonly to?: readonly Peer[];
  readonly ports?: readonly Port[];
}
interface Policy {
  readonly id: string;
  readonly namespace: string;
  readonly podSelector: LabelSelector;
  readonly ingress?: readonly PolicyRule[];
  readonly egress?: readonly PolicyRule[];
  readonly types: readonly string[];
}

/** Whether `labels` match a Kubernetes label selector (an empty selector matches everything). */
export function selectorMatches(selector: LabelSelector | undefined, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector?.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const value = labels[e.key];
    const ok =
      e.operator === 'In'
        ? has && (e.values ?? []).includes(value)
        : e.operator === 'NotIn'
          ? !has || !(e.values ?? []).includes(value)
          : e.operator === 'Exists'
            ? has
            : e.operator === 'DoesNotExist'
              ? !has
              : false;
    if (!ok) return false;
  }
  return true;
}

/**
 * Evaluates Kubernetes NetworkPolicies offline, with the API's documented semantics: a pod is isolated for
 * ingress (egress) when a policy of its namespace selects it with that policy type (`policyTypes`, or by
 * default Ingress, plus Egress when the policy has egress rules); an isolated pod accepts (opens) a
 * connection only when some rule of a selecting policy allows it; policies add up, order does not matter.
 * A rule without `from`/`to` admits any peer, without `ports` any port; a peer's `podSelector` alone means pods
 * of the policy's namespace, `namespaceSelector` alone every pod of the matching namespaces, both together the
 * matching pods of the matching namespaces; `ipBlock`s are taken to cover sources outside the pod network
 * (pod addresses are not known offline). Namespaces carry their `kubernetes.io/metadata.name` label and the
 * labels of their rendered Namespace objects. Not modelled: named ports, traffic from the pod's own node (always
 * allowed), host-network pods (never selected).
 */
export class NetworkPolicyExplainer {
  private readonly policies: Policy[];
  private readonly namespaceLabels = new Map<string, Record<string, string>>();

  constructor(objects: readonly KubeObject[]) {
    this.policies = [];
    for (const o of objects) {
      if (o.kind === 'Namespace') this.namespaceLabels.set(o.metadata.name, { ...((o.metadata.labels ?? {}) as Record<string, string>) });
      if (o.kind !== 'NetworkPolicy' || !o.apiVersion.startsWith('networking.k8s.io/')) continue;
      const spec = (o.spec ?? {}) as { podSelector?: LabelSelector; ingress?: PolicyRule[]; egress?: PolicyRule[]; policyTypes?: string[] };
      const namespace = o.metadata.namespace ?? 'default';
      this.policies.push({
        id: `NetworkPolicy ${namespace}/${o.metadata.name}`,
        namespace,
        podSelector: spec.podSelector ?? {},
        ingress: spec.ingress,
        egress: spec.egress,
        types: spec.policyTypes ?? ['Ingress', ...(spec.egress ? ['Egress'] : [])],
      });
    }
  }

  /** Whether the NetworkPolicies let `connection` through: the source's egress, then the destination's ingress. */
  check(connection: NetworkConnection): NetworkDecision {
    const protocol = connection.protocol ?? 'TCP';
    const { from, to, port } = connection;
    const what = `${from === 'outside' ? 'outside the pod network' : podName(from)} -> ${podName(to)} port ${port}/${protocol}`;
    if (from !== 'outside') {
      const egress = this.selecting(from, 'Egress');
      if (egress.length > 0) {
        const admit = egress.filter((p) => (p.egress ?? []).some((r) => this.ruleMatches(r.to, r.ports, p.namespace, to, port, protocol)));
        if (admit.length === 0)
          return {
            allowed: false,
            decidedBy: egress.map((p) => p.id),
            reason: `${what}: the source is isolated for egress and no rule allows it`,
          };
      }
    }
    const ingress = this.selecting(to, 'Ingress');
    if (ingress.length === 0)
      return { allowed: true, decidedBy: [], reason: `${what}: no NetworkPolicy isolates the destination for ingress` };
    const admit = ingress.filter((p) =>
      (p.ingress ?? []).some((r) => this.ruleMatches(r.from, r.ports, p.namespace, from, port, protocol)),
    );
    if (admit.length === 0)
      return {
        allowed: false,
        decidedBy: ingress.map((p) => p.id),
        reason: `${what}: the destination is isolated for ingress and no rule allows it`,
      };
    return { allowed: true, decidedBy: admit.map((p) => p.id), reason: `${what}: allowed by ${admit.map((p) => p.id).join(', ')}` };
  }

  /** The policies of the pod's namespace that select it for `type`. */
  private selecting(pod: NetworkPod, type: 'Ingress' | 'Egress'): Policy[] {
    return this.policies.filter(
      (p) => p.namespace === pod.namespace && p.types.includes(type) && selectorMatches(p.podSelector, pod.labels),
    );
  }

  private ruleMatches(
    peers: readonly Peer[] | undefined,
    ports: readonly Port[] | undefined,
    policyNamespace: string,
    other: NetworkSource,
    port: number,
    protocol: string,
  ): boolean {
    const portOk =
      !ports ||
      ports.length === 0 ||
      ports.some(
        (p) =>
          (p.protocol ?? 'TCP') === protocol &&
          (p.port === undefined || (typeof p.port === 'number' && (p.endPort ? port >= p.port && port <= p.endPort : port === p.port))),
      );
    if (!portOk) return false;
    if (!peers || peers.length === 0) return true;
    return peers.some((peer) => {
      if (peer.ipBlock) return other === 'outside';
      if (other === 'outside') return false;
      const nsOk = peer.namespaceSelector
        ? selectorMatches(peer.namespaceSelector, this.labelsOfNamespace(other.namespace))
        : other.namespace === policyNamespace;
      return nsOk && selectorMatches(peer.podSelector, other.labels);
    });
  }

  private labelsOfNamespace(namespace: string): Record<string, string> {
    return { ...this.namespaceLabels.get(namespace), [NAMESPACE_NAME_LABEL]: namespace };
  }
}

function podName(pod: NetworkPod): string {
  const labels = Object.entries(pod.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${pod.namespace}/{${labels}}`;
}

/**
 * An authorization decision combined with the NetworkPolicies' verdict on the same connection: a connection the
 * NetworkPolicies refuse never reaches the destination's proxy, so it is denied whatever authorization would say
 * (the caller sees a connection that times out or is reset, not a 403).
 */
export function withNetworkPolicies(decision: AccessDecision, network: NetworkDecision | undefined): AccessDecision {
  if (!network || network.allowed || !decision.allowed) return decision;
  return {
    verdict: 'deny',
    allowed: false,
    decidedBy: network.decidedBy.join(', '),
    reason: `the NetworkPolicies refuse the connection before any proxy sees it (${network.reason})`,
  };
}

/** One line on what the NetworkPolicies decided: `allowed by NetworkPolicy ns/name`, or why they refuse. */
export function describeNetworkDecision(network: NetworkDecision): string {
  if (!network.allowed) return `refused: ${network.reason}`;
  return network.decidedBy.length > 0 ? `allowed by ${network.decidedBy.join(', ')}` : 'allowed: no NetworkPolicy isolates the destination';
}
