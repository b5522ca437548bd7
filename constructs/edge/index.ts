export * from './certificate-issuer';
export * from './mesh-gateway';
export * from './external-service';
