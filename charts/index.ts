export * from './layer';
export * from './mesh-config';
export * from './demo-apps';
export * from './resilience-demo';
export * from './istio';
export * from './ingress';
export * from './egress';
export * from './flux-system';
