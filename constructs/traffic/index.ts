export * from './traffic';
export * from './resilient-route';
export * from './weighted-split';
