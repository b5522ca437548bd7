export * from './schema';
export * from './presets';
export * from './load';
export * from './resilience';
export * from './security';
export * from './canary';
export * from './apps';
