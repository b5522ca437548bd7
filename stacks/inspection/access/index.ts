export * from './evaluate';
export * from './matrix';
export * from './network-policy';
