import type { KubeObject } from '../../constructs/core/kube-object';

/**
 * A rendered object as the analyzers read it: `apiVersion`, `kind`, `metadata.name`/`namespace` (and the
 * annotations, when given) and `spec`.
 */
export function kubeObject(
  apiVersion: string,
  kind: string,
  ns: string,
  name: string,
  spec: object,
  annotations?: Record<string, string>,
): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: { name, namespace: ns, ...(annotations ? { annotations } : {}) },
    spec,
  };
}
