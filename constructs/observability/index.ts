export * from './observability-stack';
