import { defineConfig } from 'vitest/config';

// .ci/run sets VITEST_JSON_REPORT to read the counts it prints last
const jsonReport = process.env['VITEST_JSON_REPORT'];

// One test command for everything (README, .ci/run): unit tests beside the
// code, integration tests against the real PostgreSQL and NATS. Each test
// file gets its own database (cloned from a migrated template) and its own
// NATS prefix, so files run in parallel.
export default defineConfig({
  test: {
    include: [
      'libs/*/src/**/*.test.ts',
      'libs/*/test/**/*.test.ts',
      'services/*/src/**/*.test.ts',
      'services/*/test/**/*.test.ts',
      'deploy/*/test/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    // the cluster scenarios and the compose test run serially in their own invocations
    // (vitest.cluster.config.ts, vitest.compose.config.ts)
    exclude: ['**/node_modules/**', '.tools/**', 'test/cluster/**', 'test/compose/**'],
    globalSetup: ['test/support/src/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    restoreMocks: true,
    reporters: jsonReport ? ['default', ['json', { outputFile: jsonReport }]] : ['default'],
  },
});
