import { defineConfig } from 'vitest/config';

// The compose test (test/compose, issue #20): images built, docker-compose.yml
// up on an engine that deploy/docker/engine.sh provides, one file, in its own
// invocation after the suite and the cluster scenarios (`pnpm test`; .ci/run
// adds its counts). Root only: it may install and start dockerd.
const jsonReport = process.env['VITEST_COMPOSE_JSON_REPORT'];

export default defineConfig({
  test: {
    include: ['test/compose/**/*.test.ts'],
    exclude: ['**/node_modules/**', '.tools/**'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 1_800_000,
    teardownTimeout: 300_000,
    reporters: jsonReport ? ['default', ['json', { outputFile: jsonReport }]] : ['default'],
  },
});
