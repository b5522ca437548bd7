export * from './access-rule';
export * from './zero-trust-policy';
export * from './namespace-isolation';
