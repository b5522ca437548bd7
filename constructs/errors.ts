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
