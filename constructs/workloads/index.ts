export * from './mesh-namespace';
export * from './mesh-app';
