/**
 * The Pod Security Standards (Kubernetes' pod-security.kubernetes.io levels), checked on a pod template as the
 * admission controller does: `baseline` (no host namespaces, host paths, host ports or privileged containers, no
 * capability beyond the default set) and `restricted` (baseline, plus no privilege escalation, every capability
 * dropped but NET_BIND_SERVICE, non-root, a RuntimeDefault or Localhost seccomp profile, only the volume types it
 * allows). `privileged` checks nothing.
 */
export type Level = 'privileged' | 'baseline' | 'restricted';

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);
const RESTRICTED_VOLUMES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

/** What `pod` (a pod spec's parent: a Pod or a pod template) violates at `level`; empty when it is admitted. */
export function podSecurityViolations(pod: any, level: Level): string[] {
  if (level === 'privileged') return [];
  const spec = pod.spec ?? {};
  const podContext = spec.securityContext ?? {};
  const containers: any[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  const problems: string[] = [];
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) problems.push('host namespaces');
  for (const v of spec.volumes ?? []) if (v.hostPath) problems.push(`hostPath volume ${v.name}`);
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    if (sc.privileged) problems.push(`${c.name}: privileged`);
    for (const cap of sc.capabilities?.add ?? []) if (!BASELINE_CAPABILITIES.has(cap)) problems.push(`${c.name}: adds ${cap}`);
    for (const p of c.ports ?? []) if (p.hostPort) problems.push(`${c.name}: hostPort ${p.hostPort}`);
  }
  if (level === 'baseline') return problems;
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${c.name}: allowPrivilegeEscalation not false`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push(`${c.name}: capabilities not dropped (ALL)`);
    for (const cap of sc.capabilities?.add ?? []) if (cap !== 'NET_BIND_SERVICE') problems.push(`${c.name}: adds ${cap}`);
    if (!(sc.runAsNonRoot ?? podContext.runAsNonRoot)) problems.push(`${c.name}: runAsNonRoot not true`);
    if ((sc.runAsUser ?? podContext.runAsUser) === 0) problems.push(`${c.name}: runAsUser 0`);
    const seccomp = sc.seccompProfile?.type ?? podContext.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') problems.push(`${c.name}: no RuntimeDefault/Localhost seccomp profile`);
  }
  for (const v of spec.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (type && !RESTRICTED_VOLUMES.has(type)) problems.push(`volume ${v.name}: ${type}`);
  }
  return problems;
}
