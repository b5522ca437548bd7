export * from './errors';
export * from './protocol';
export * from './duration';
export * from './go-duration';
export * from './secret-requirement';
export * from './kube-object';
export * from './hosts';
export * from './namespaces';
