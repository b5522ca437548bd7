export * from './layer';
export * from './mesh-config';
export * from './demo-apps';
export * from './resilience-demo';
