import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropDatabase, withDatabase } from '@ops/db';
import { cleanupNats, connectTestNats, freePort, runNode, startService, testEnv, uniqueNames } from '@ops/test-support';
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

/** The addresses something listens on at a TCP port, from the kernel's tables (what `ss -ltn` reads). */
async function listeningAddresses(port: number): Promise<string[]> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const found: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const rows = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const row of rows) {
      const [, local, , state] = row.trim().split(/\s+/);
      if (state !== '0A' || !local?.endsWith(`:${hexPort}`)) continue; // 0A: LISTEN
      const addr = local.slice(0, local.indexOf(':'));
      // IPv4 is stored little-endian (0100007F = 127.0.0.1); an IPv6 address is kept as its hex
      found.push(addr.length === 8 ? [6, 4, 2, 0].map((i) => Number.parseInt(addr.slice(i, i + 2), 16)).join('.') : `[${addr}]`);
    }
  }
  return found;
}

describe('pnpm start', () => {
  it('seeds an empty database, starts every service, and stops on Ctrl-C', async () => {
    const env = { DATABASE_URL: databaseUrl, NATS_URL: testEnv.NATS_URL.join(','), NATS_PREFIX: names.prefix, START_PORT_BASE: '18181' };
    const stack = startService('deploy/local/src/main.ts', env);
    try {
      await stack.waitForOutput(/system ready/, 60_000);
      expect(stack.output()).toContain('created: 1 workspace(s), 3 tenant(s)');
      const ready = await fetch('http://127.0.0.1:18181/readyz');
      expect(ready.status).toBe(200);

      for (const port of [18182, 18183, 18184, 18190]) expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);

      // the console (START_PORT_BASE+3): loopback only, and the printed random token signs in
      const token = /^console: http:\/\/127\.0\.0\.1:18184\/ — sign in with token (\S+)$/m.exec(stack.output())?.[1];
      expect(token?.length).toBeGreaterThanOrEqual(24);
      expect(await listeningAddresses(18184)).toEqual(['127.0.0.1']);
      const session = await fetch('http://127.0.0.1:18184/api/session', { headers: { authorization: `Bearer ${token}` } });
      expect(session.status).toBe(200);

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

  it('without NATS_URL: starts a nats-server 2.10 of its own (named in the banner), runs on it, and stops it last', async () => {
    const natsPort = await freePort();
    const store = await mkdtemp(join(tmpdir(), 'ops-start-nats-'));
    const consoleToken = 'a-console-token-from-the-environment';
    const env = {
      DATABASE_URL: databaseUrl,
      START_NATS_PORT: String(natsPort),
      START_NATS_STORE_DIR: store,
      START_PORT_BASE: '18281',
      CONSOLE_TOKEN: consoleToken,
    };
    const stack = startService('deploy/local/src/main.ts', env);
    try {
      await stack.waitForOutput(/system ready/, 60_000);
      // CONSOLE_TOKEN set: that token, not a random one
      expect(stack.output()).toContain(`console: http://127.0.0.1:18284/ — sign in with token ${consoleToken}`);
      const natsUrl = `nats://127.0.0.1:${natsPort}`;
      expect(stack.output()).toMatch(new RegExp(`NATS ${natsUrl.replaceAll('.', '\\.')} .*own nats-server nats-server: v2\\.10\\.\\d+`));
      expect(stack.output()).toContain(`export NATS_URL=${natsUrl}`);
      // the services run on it: the ledger's streams are in its store, and a dispatch through it completes
      const tenants = JSON.parse((await runNode('services/opsctl/src/main.ts', ['tenants', 'list', '--json'], env)).stdout) as {
        workspaces: Array<{ id: string; tenants: Array<{ id: string }> }>;
      };
      const ws = tenants.workspaces[0]!.id;
      const cli = { ...env, NATS_URL: natsUrl };
      const args = ['dispatch', 'assignments.fetch', '--workspace', ws, '--tenant', tenants.workspaces[0]!.tenants[1]!.id, '--json'];
      const run = JSON.parse((await runNode('services/opsctl/src/main.ts', args, cli)).stdout) as { run_id: string };
      const waited = await runNode('services/opsctl/src/main.ts', ['runs', 'wait', run.run_id, '--workspace', ws, '--json'], cli);
      expect(JSON.parse(waited.stdout)).toMatchObject({ status: 'completed', outcome: 'succeeded' });
      expect(await readdir(join(store, 'jetstream'))).not.toHaveLength(0);
    } finally {
      stack.child.kill('SIGINT');
    }
    expect(await stack.exited).toBe(0);
    expect(stack.output()).toContain('start: stopped');
    // stopped with the rest: nothing listens on its port any more
    await expect(
      new Promise((resolve, reject) => {
        const socket = connect(natsPort, '127.0.0.1', () => resolve(socket.destroy()));
        socket.once('error', reject);
      }),
    ).rejects.toThrow();
    await rm(store, { recursive: true, force: true });
  });
});
