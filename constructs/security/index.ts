export * from './access-rule';
export * from './zero-trust-policy';
