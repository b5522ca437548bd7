export * from './demo-apps';
export * from './resilience-demo';
export * from './httpbin-canary';
export * from './weighted-canary';
export * from './bookinfo';
export * from './demos';
