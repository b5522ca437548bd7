import { IConstruct } from 'constructs';

/**
 * A construct was given something it cannot turn into a working mesh object. The message names the
 * construct (kind and path), the bad value, what is allowed and the fix; the CLI prints it as is.
 */
export class MeshValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MeshValidationError';
  }
}

/** Throws a {@link MeshValidationError} prefixed with the construct's kind and path. */
export function invalid(kind: string, construct: IConstruct, message: string): never {
  throw new MeshValidationError(`${kind} ${construct.node.path}: ${message}`);
}

/** A DNS-1123 label: Kubernetes names of Services, namespaces and most objects. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * The message for a value that is not a {@link DNS_LABEL}: the value, what a label may be, and an example.
 * @param what the prop or config key, such as `name` or `secretName`
 * @param value the value given
 * @param example a valid value for that prop, such as `istio-system`
 */
export function notDnsLabel(what: string, value: string, example: string): string {
  return `${what} '${value}' is not a DNS-1123 label; use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit, such as '${example}'`;
}

const WARNING_METADATA = 'mesh:warning';

/**
 * Records a warning on a construct: something that works but is probably not what was meant. The
 * synth prints every warning; `explain` shows them beside the behaviour they concern.
 */
export function warn(construct: IConstruct, message: string): void {
  construct.node.addMetadata(WARNING_METADATA, message);
}

/** Every warning recorded in the tree under `root`, prefixed with the construct path. */
export function meshWarnings(root: IConstruct): string[] {
  return root.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === WARNING_METADATA).map((m) => `${c.node.path}: ${String(m.data)}`));
}
