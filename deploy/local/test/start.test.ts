import { dropDatabase, withDatabase } from '@ops/db';
import { cleanupNats, connectTestNats, runNode, startService, testEnv, uniqueNames } from '@ops/test-support';
import { afterAll, describe, expect, inject, it } from 'vitest';

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

      for (const port of [18182, 18183, 18190]) expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);

      const tenants = await runNode('services/opsctl/src/main.ts', ['tenants', 'list', '--json'], env);
      expect(tenants.code).toBe(0);
      const doc = JSON.parse(tenants.stdout) as { workspaces: Array<{ id: string; tenants: Array<{ id: string }> }> };
      expect(doc.workspaces).toHaveLength(1);
      expect(doc.workspaces[0]!.tenants).toHaveLength(3);

      // the README session: dispatch, dispatch again, wait
      const ws = doc.workspaces[0]!.id;
      const tenant = doc.workspaces[0]!.tenants[0]!.id;
      const args = ['dispatch', 'assignments.fetch', '--workspace', ws, '--tenant', tenant, '--json'];
      const first = JSON.parse((await runNode('services/opsctl/src/main.ts', args, env)).stdout) as { run_id: string; disposition: string };
      const second = JSON.parse((await runNode('services/opsctl/src/main.ts', args, env)).stdout) as {
        run_id: string;
        disposition: string;
      };
      expect(first.disposition).toBe('created');
      expect(['active', 'cooldown']).toContain(second.disposition);
      expect(second.run_id).toBe(first.run_id);
      const waited = await runNode('services/opsctl/src/main.ts', ['runs', 'wait', first.run_id, '--workspace', ws, '--json'], env);
      expect(waited.code).toBe(0);
      expect(JSON.parse(waited.stdout)).toMatchObject({
        status: 'completed',
        outcome: 'succeeded',
        summary_counts: { total: 3, processed: 3, failed: 0 },
      });

      // issue #4's acceptance: housekeeping on demand, then its run in the ledger
      const hk = JSON.parse(
        (await runNode('services/opsctl/src/main.ts', ['housekeeping', 'run', '--workspace', ws, '--json'], env)).stdout,
      ) as { run_id: string };
      const listed = await runNode(
        'services/opsctl/src/main.ts',
        ['runs', 'list', '--workspace', ws, '--type', 'ops.reconcile_adapter_runs', '--json'],
        env,
      );
      expect(JSON.parse(listed.stdout).runs[0]).toMatchObject({ id: hk.run_id, tenant_id: null, outcome: 'succeeded' });
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
