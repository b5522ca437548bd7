import { Variant } from './variant';

/**
 * Istio's root namespace: its control plane, its gateways, the mesh-wide policies (a policy there applies to
 * every workload) and, in this platform, Flagger. The one place the name is written.
 */
export const ISTIO_SYSTEM_NAMESPACE = 'istio-system';

/**
 * A Pod Security Standard, as the built-in Pod Security admission controller enforces it per namespace
 * (`pod-security.kubernetes.io/enforce`): `privileged` (no restriction), `baseline` (no host namespaces,
 * host paths, privileged containers or added capabilities beyond the default set) or `restricted`
 * (baseline, plus non-root, no privilege escalation, every capability dropped, a seccomp profile).
 */
export class PodSecurityLevel extends Variant<'privileged' | 'baseline' | 'restricted'> {
  /** No restriction. */
  static readonly PRIVILEGED = new PodSecurityLevel('privileged');
  /** No host namespaces, host paths, privileged containers or capabilities beyond the default set. */
  static readonly BASELINE = new PodSecurityLevel('baseline');
  /** Baseline, plus non-root, no privilege escalation, every capability dropped and a seccomp profile. */
  static readonly RESTRICTED = new PodSecurityLevel('restricted');

  /** Every level, the most permissive first. */
  static readonly ALL: readonly PodSecurityLevel[] = [PodSecurityLevel.PRIVILEGED, PodSecurityLevel.BASELINE, PodSecurityLevel.RESTRICTED];

  /** @param name - The level's name in the `pod-security.kubernetes.io/*` labels, e.g. `restricted`. */
  private constructor(name: PodSecurityLevel['name']) {
    super(name);
  }
}

/**
 * The version of the Pod Security Standards the platform's namespaces are evaluated against: the oldest
 * Kubernetes API the platform supports (cdk8s-plus-27). Pinned rather than `latest`, so that a cluster
 * upgrade that tightens a standard does not start rejecting pods that were admitted the day before.
 */
export const POD_SECURITY_VERSION = 'v1.27';

/**
 * The Pod Security admission labels of a namespace: `enforce` at `level`, and `warn` and `audit` at
 * `restricted` (so that where a lower level is enforced, every pod that would fail `restricted` is still
 * reported, on apply and in the audit log), each with {@link POD_SECURITY_VERSION}.
 */
export function podSecurityLabels(level: PodSecurityLevel): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [mode, value] of [
    ['enforce', level.name],
    ['warn', PodSecurityLevel.RESTRICTED.name],
    ['audit', PodSecurityLevel.RESTRICTED.name],
  ] as const) {
    labels[`pod-security.kubernetes.io/${mode}`] = value;
    labels[`pod-security.kubernetes.io/${mode}-version`] = POD_SECURITY_VERSION;
  }
  return labels;
}

/**
 * The strictest Pod Security level a namespace with Istio sidecars admits, given how traffic is
 * redirected into the proxy:
 *
 * - with the Istio CNI plugin, the node agent sets up the redirection; the injected `istio-validation`
 *   init container and the `istio-proxy` container run as UID 1337, non-root, every capability dropped,
 *   no privilege escalation: the namespace can be `restricted` (the pod's own seccomp profile covers them);
 * - without it, the injected `istio-init` container programs iptables itself, as root with `NET_ADMIN` and
 *   `NET_RAW`: capabilities outside `baseline`'s allowed set, so neither `restricted` nor `baseline` admits
 *   a meshed pod, and only `privileged` can be enforced (the `warn`/`audit` labels still report `restricted`).
 */
export function meshedPodSecurity(cni: boolean): PodSecurityLevel {
  return cni ? PodSecurityLevel.RESTRICTED : PodSecurityLevel.PRIVILEGED;
}
