/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type checking is `npm run build` (tsc); tests transpile only, which keeps them fast.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 60000,
  // Jest's default is one worker fewer than the cores, which on a 2-core machine runs the suites one after the other;
  // two workers there take the suite from about 65 s to 55 s while other jobs use the same cores.
  maxWorkers: Math.max(2, require('node:os').cpus().length - 1),
};
