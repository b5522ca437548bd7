export * from './canary-analysis';
export * from './canary-release';
export * from './metric-template';
export * from './alert-provider';
export * from './flagger';
