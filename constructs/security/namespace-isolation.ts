import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { DNS_LABEL, MeshValidationError, invalid } from '../core/errors';

/** The label Kubernetes sets on every namespace to its name (what NetworkPolicy namespace selectors can match). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * Who may open connections to the pods of a {@link NetworkIngress} rule, in NetworkPolicy terms
 * (NetworkPolicy selects pods by their labels, never by ServiceAccount).
 */
export class NetworkPeer {
  /**
   * The pods of `namespace` with `labels` (every pod of the namespace without labels).
   * @param labels the labels the workload's chart sets on its pods
   */
  static pods(namespace: string, labels?: Readonly<Record<string, string>>): NetworkPeer {
    if (!DNS_LABEL.test(namespace))
      throw new MeshValidationError(`NetworkPeer.pods: namespace '${namespace}' is not a DNS-1123 label; use e.g. 'observability'`);
    const peer: Record<string, unknown> = { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } } };
    if (labels && Object.keys(labels).length > 0) peer.podSelector = { matchLabels: { ...labels } };
    return new NetworkPeer(
      labels && Object.keys(labels).length > 0 ? `${namespace} pods ${JSON.stringify(labels)}` : `namespace ${namespace}`,
      peer,
    );
  }

  /** Every pod of every namespace (an empty namespace selector): e.g. every sidecar reaching istiod. */
  static anyPod(): NetworkPeer {
    return new NetworkPeer('any pod', { namespaceSelector: {} });
  }

  /**
   * Any source, pods or not: the rule has no `from`. For what is called from outside the pod network: the
   * Kubernetes API server calling an admission webhook (on most clusters its address is no pod's and often
   * not the nodes' either, so no pod or namespace selector matches it) and load balancers in front of a gateway.
   */
  static anywhere(): NetworkPeer {
    return new NetworkPeer('anywhere');
  }

  private constructor(
    /** How messages and tests name the peer. */
    readonly description: string,
    /** The NetworkPolicy peer; none for {@link NetworkPeer.anywhere}. */
    readonly peer?: Readonly<Record<string, unknown>>,
  ) {}
}

/** One ingress rule of a {@link NamespaceIsolation}: which pods accept which peers on which ports. */
export interface NetworkIngress {
  /** The rule's name: it names the NetworkPolicy `allow-<name>` (a DNS-1123 label). */
  readonly name: string;
  /**
   * The pods the rule lets traffic into, by the labels their chart sets.
   * @default - every pod of the namespace
   */
  readonly pods?: Readonly<Record<string, string>>;
  /** Who may connect. {@link NetworkPeer.anywhere} alone means any source. */
  readonly from: readonly NetworkPeer[];
  /** The ports, as the pods listen on them (NetworkPolicy sees container ports, after a Service's translation). */
  readonly ports: readonly number[];
  /**
   * The protocols of the ports.
   * @default ['TCP']
   */
  readonly protocols?: readonly ('TCP' | 'UDP')[];
  /** Why the traffic is needed, written to the policy's `mesh.platform/purpose` annotation. */
  readonly purpose: string;
}

/** Properties of a {@link NamespaceIsolation}. */
export interface NamespaceIsolationProps {
  /** The namespace. */
  readonly namespace: string;
  /**
   * The traffic the namespace's pods accept.
   * @default - none: add rules with {@link NamespaceIsolation.allowIngress}
   */
  readonly ingress?: readonly NetworkIngress[];
}

/**
 * Default-deny ingress for one namespace, and the NetworkPolicies that let exactly the needed traffic in:
 * a `default-deny-ingress` NetworkPolicy selecting every pod (no ingress rule, so a pod no other policy
 * selects accepts no connection from the pod network) and one `allow-<name>` NetworkPolicy per rule.
 * NetworkPolicies add up: a pod accepts what any policy selecting it allows.
 *
 * Ingress only: egress stays open (the platform's controllers call the API server, whose address is not a
 * pod's). Traffic from the pod's own node (kubelet probes) is always allowed by NetworkPolicy, as is traffic to
 * pods on the host network (the Istio CNI node agent), which no NetworkPolicy applies to.
 */
export class NamespaceIsolation extends Construct {
  /** The namespace. */
  readonly namespace: string;
  private readonly rules = new Map<string, NetworkIngress>();

  constructor(scope: Construct, id: string, props: NamespaceIsolationProps) {
    super(scope, id);
    if (!DNS_LABEL.test(props.namespace))
      invalid('NamespaceIsolation', this, `namespace '${props.namespace}' is not a DNS-1123 label; use e.g. 'istio-system'`);
    this.namespace = props.namespace;
    new k8s.KubeNetworkPolicy(this, 'default-deny-ingress', {
      metadata: {
        name: 'default-deny-ingress',
        namespace: this.namespace,
        annotations: { 'mesh.platform/purpose': 'every pod accepts only what another NetworkPolicy of the namespace allows' },
      },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    });
    for (const rule of props.ingress ?? []) this.allowIngress(rule);
  }

  /** The rules, in the order they were added. */
  get ingress(): NetworkIngress[] {
    return [...this.rules.values()];
  }

  /** The NetworkPolicies (the default deny first, then one per rule). */
  get objects(): ApiObject[] {
    return this.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject);
  }

  /**
   * Lets `rule.from` connect to `rule.pods` on `rule.ports` (a NetworkPolicy `allow-<name>`).
   * @returns the rule
   */
  allowIngress(rule: NetworkIngress): NetworkIngress {
    const where = `namespace ${this.namespace}, rule '${rule.name}'`;
    if (!DNS_LABEL.test(`allow-${rule.name}`) || `allow-${rule.name}`.length > 63)
      invalid('NamespaceIsolation', this, `${where}: the name is not a DNS-1123 label; use lowercase letters, digits and '-'`);
    if (this.rules.has(rule.name)) invalid('NamespaceIsolation', this, `${where}: added twice; give each rule its own name`);
    if (rule.from.length === 0)
      invalid(
        'NamespaceIsolation',
        this,
        `${where}: 'from' is empty, which would allow nothing; name the peers or use NetworkPeer.anywhere()`,
      );
    if (rule.ports.length === 0 || rule.ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535))
      invalid('NamespaceIsolation', this, `${where}: ports ${JSON.stringify(rule.ports)} must be a non-empty list of port numbers 1-65535`);
    this.rules.set(rule.name, rule);
    if (rule.protocols?.length === 0) invalid('NamespaceIsolation', this, `${where}: protocols is empty; leave it out for TCP`);
    const anywhere = rule.from.some((p) => !p.peer);
    const protocols = [...new Set(rule.protocols ?? ['TCP'])];
    new k8s.KubeNetworkPolicy(this, `allow-${rule.name}`, {
      metadata: { name: `allow-${rule.name}`, namespace: this.namespace, annotations: { 'mesh.platform/purpose': rule.purpose } },
      spec: {
        podSelector: rule.pods && Object.keys(rule.pods).length > 0 ? { matchLabels: { ...rule.pods } } : {},
        policyTypes: ['Ingress'],
        ingress: [
          {
            // No `from`: any source (see NetworkPeer.anywhere).
            ...(anywhere ? {} : { from: rule.from.map((p) => ({ ...p.peer })) }),
            ports: [...new Set(rule.ports)].flatMap((port) =>
              protocols.map((protocol) => ({ protocol, port: k8s.IntOrString.fromNumber(port) })),
            ),
          },
        ],
      },
    });
    return rule;
  }
}
