import { defineConfig } from 'vitest/config';

// The cluster scenarios (test/cluster, issue #19): a 3-node NATS cluster in
// network namespaces each, run one file at a time in their own invocation
// (`pnpm test` runs it after the suite; .ci/run adds its counts). Root only.
const jsonReport = process.env['VITEST_CLUSTER_JSON_REPORT'];

export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    exclude: ['**/node_modules/**', '.tools/**'],
    globalSetup: ['test/support/src/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    reporters: jsonReport ? ['default', ['json', { outputFile: jsonReport }]] : ['default'],
  },
});
