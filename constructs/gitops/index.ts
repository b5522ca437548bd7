export * from './flux-git-source';
export * from './flux-kustomization';
export * from './flux-notifications';
