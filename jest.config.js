/**
 * Five suites, one per layer. Each starts only the servers it needs, once per run, in its global setup:
 * - unit: pure logic, no servers;
 * - activities: the EC2 activities against moto over HTTP;
 * - workflows: workflow logic on the time-skipping test server, with fake activities or the real ones against moto;
 * - e2e: the dev server, moto, a real worker process and the client command;
 * - browser: the dev server's Web UI in headless Chromium (alone: npm run test:browser).
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
  // Per test; the e2e provisions take seconds each, and a hang should fail, not stall CI.
  testTimeout: 120_000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: [
    suite('unit'),
    suite('activities', {
      globalSetup: '<rootDir>/test/support/moto-setup.ts',
      globalTeardown: '<rootDir>/test/support/teardown.ts',
    }),
    suite('workflows', {
      globalSetup: '<rootDir>/test/support/bundle-setup.ts',
      globalTeardown: '<rootDir>/test/support/teardown.ts',
    }),
    // The Web UI in a headless browser (also alone: `npm run test:browser`).
    suite('browser', {
      globalSetup: '<rootDir>/test/support/browser-setup.ts',
      globalTeardown: '<rootDir>/test/support/teardown.ts',
    }),
    suite('e2e', {
      globalSetup: '<rootDir>/test/support/stack-setup.ts',
      globalTeardown: '<rootDir>/test/support/teardown.ts',
    }),
  ],
};
