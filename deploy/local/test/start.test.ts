import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabase, withDatabase } from '@ops/db';
import { inject } from 'vitest';
import { testEnv } from '../../../test/support/env.ts';
import { cleanupNats, connectTestNats, uniqueNames } from '../../../test/support/nats.ts';
import { runNode, startService } from '../../../test/support/process.ts';

/**
 * The README's run command on an empty database: the seed creates and
 * migrates it, every service becomes ready, opsctl sees the seeded tenants,
 * and an interrupt stops it all gracefully.
 */
const names = uniqueNames();
const dbName = `ops_t_${inject('runId')}_start`;
const databaseUrl = withDatabase(testEnv.DATABASE_URL, dbName);

afterAll(async () => {
  await cleanupNats(await connectTestNats(), names);
  await dropDatabase(testEnv.DATABASE_URL, dbName);
});

describe('pnpm start', () => {
  it('seeds an empty database, starts every service, and stops on Ctrl-C', async () => {
    const env = { DATABASE_URL: databaseUrl, NATS_URL: testEnv.NATS_URL.join(','), NATS_PREFIX: names.prefix, START_PORT_BASE: '18181' };
    const stack = startService('deploy/local/src/main.ts', env);
    try {
      await stack.waitForOutput(/system ready/, 60_000);
      expect(stack.output()).toContain('created: 1 workspace(s), 3 tenant(s)');
      const ready = await fetch('http://127.0.0.1:18181/readyz');
      expect(ready.status).toBe(200);

      const tenants = await runNode('services/opsctl/src/main.ts', ['tenants', 'list', '--json'], env);
      expect(tenants.code).toBe(0);
      const doc = JSON.parse(tenants.stdout) as { workspaces: Array<{ tenants: unknown[] }> };
      expect(doc.workspaces).toHaveLength(1);
      expect(doc.workspaces[0]!.tenants).toHaveLength(3);
    } finally {
      // what a terminal's Ctrl-C sends to the foreground process
      stack.child.kill('SIGINT');
    }
    expect(await stack.exited).toBe(0);
    expect(stack.output()).toContain('shutdown complete');
    expect(stack.output()).toContain('start: stopped');
    await expect(fetch('http://127.0.0.1:18181/healthz')).rejects.toThrow();
  });
});
