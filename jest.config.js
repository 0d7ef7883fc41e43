/**
 * Four suites, one per layer. Each starts only the servers it needs, once per run, in its global setup:
 * - unit: pure logic, no servers;
 * - activities: the EC2 activities against moto over HTTP;
 * - workflows: workflow logic on the time-skipping test server with fake activities;
 * - e2e: the dev server, moto, a real worker process and the client command.
 * `npm test` runs them in one process (--runInBand): suites that share a server stay serial on 2 cores.
 */
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] };
const suite = (name, extra = {}) => ({
  displayName: name,
  testEnvironment: 'node',
  transform,
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
  ...extra,
});

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    suite('unit'),
    suite('activities', {
      testTimeout: 30_000,
      globalSetup: '<rootDir>/test/support/moto-setup.ts',
      globalTeardown: '<rootDir>/test/support/teardown.ts',
    }),
    suite('workflows', {
      testTimeout: 60_000,
      globalSetup: '<rootDir>/test/support/bundle-setup.ts',
      globalTeardown: '<rootDir>/test/support/teardown.ts',
    }),
    suite('e2e', {
      testTimeout: 180_000,
      globalSetup: '<rootDir>/test/support/stack-setup.ts',
      globalTeardown: '<rootDir>/test/support/teardown.ts',
    }),
  ],
};
