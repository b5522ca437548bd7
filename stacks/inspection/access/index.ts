export * from './evaluate';
export * from './matrix';
