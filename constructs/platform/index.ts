export * from './helm-component';
export * from './istio-release';
export * from './istio-base';
export * from './istiod';
export * from './istio-gateway';
export * from './istio-cni';
export * from './cert-manager';
