export * from './access-rule';
export * from './zero-trust-policy';
export * from './mtls-mode';
export * from './namespace-isolation';
