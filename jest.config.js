/** Jest runs TypeScript through SWC; Nest 12 is ESM, loaded via require(esm), which needs
 * NODE_OPTIONS=--experimental-vm-modules (set by the npm scripts). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/src', '<rootDir>/integrations'],
  testMatch: ['**/*.test.ts', '**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2023',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // One real Temporal dev server for the whole run (end-to-end stacks use their own task queues).
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  // A failed suite that leaks a handle must fail the run, not hang it until CI's time limit
  // (which happened once: a stack's stubs stayed listening after its start failed).
  forceExit: true,
};
