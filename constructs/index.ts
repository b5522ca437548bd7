export * from './errors';
export * from './protocol';
export * from './mesh-namespace';
export * from './mesh-app';
export * from './helm-component';
export * from './traffic';
