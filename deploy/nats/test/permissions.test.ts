import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { DB_ROLES } from '@ops/db';
import { type FakeGraph, startFakeGraph } from '@ops/fake-graph';
import {
  createTestDatabase,
  freePort,
  type OwnNatsServer,
  opsctl,
  ROOT,
  runNode,
  type ServiceProcess,
  startNatsServer,
  startService,
  type TestDatabase,
} from '@ops/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NATS_USERS, type NatsUser, natsPermissions, renderAuthConf } from '../permissions.ts';

/**
 * The shipped NATS config (deploy/nats/nats.conf + auth.conf) on a server of
 * the test's own. First the whole system runs with one NATS user per process
 * — every operation each one needs succeeds, and the server logs no
 * violation; then every operation the matrix denies is tried and refused.
 */
const GRAPH_SECRET = 'perm-test-graph-secret-0123456789';
// a letter first, like deploy/make-secrets.sh: nats-server parses a password variable as a config token
const passwords = Object.fromEntries(NATS_USERS.map((u) => [u, `s${randomBytes(12).toString('hex')}`])) as Record<NatsUser, string>;
const perms = natsPermissions();
const serverEnv = Object.fromEntries(NATS_USERS.map((u) => [perms[u].passwordEnv, passwords[u]]));

let server: OwnNatsServer;
let db: TestDatabase;
let graph: FakeGraph;
const services: ServiceProcess[] = [];

const as = (user: NatsUser) => ({ NATS_URL: server.url, NATS_USER: user, NATS_PASSWORD: passwords[user] });
const violations = (text: string) => text.split('\n').filter((l) => /Violation/i.test(l));

beforeAll(async () => {
  server = await startNatsServer({ configFile: join(ROOT, 'deploy/nats/nats.conf'), env: serverEnv });
  db = await createTestDatabase();
  const seeded = await runNode('services/ledger-service/src/seed/main.ts', [], {
    DATABASE_URL: db.url,
    SEED_TENANTS: '1',
    SEED_POLICIES_PER_TENANT: '2',
    LOG_LEVEL: 'warn',
  });
  expect(seeded.code, seeded.stderr).toBe(0);
  graph = await startFakeGraph({ port: 0, clientId: 'ops-test', clientSecret: GRAPH_SECRET });
});

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await graph?.close();
  await server?.stop();
  await db?.drop();
});

describe('deploy/nats/auth.conf', () => {
  it('is exactly the rendering of deploy/nats/permissions.ts', async () => {
    expect(await readFile(join(ROOT, 'deploy/nats/auth.conf'), 'utf8')).toBe(renderAuthConf());
  });

  it('refuses anonymous connections and wrong passwords', async () => {
    await expect(connect({ servers: server.url, timeout: 2000, reconnect: false })).rejects.toThrow(/Authorization Violation/);
    await expect(connect({ servers: server.url, user: 'worker', pass: 'wrong', timeout: 2000, reconnect: false })).rejects.toThrow(
      /Authorization Violation/,
    );
  });

  it('opsctl with a wrong password says the server refused the user, not that it is unreachable, and never prints the password', async () => {
    const r = await opsctl(['locks', 'list'], { ...as('opsctl'), NATS_PASSWORD: 'sWrongPassword123' });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `opsctl: NATS at ${server.url.slice('nats://'.length)} refused user opsctl: Authorization Violation — check NATS_USER and NATS_PASSWORD\n`,
    );
    expect(r.stderr).not.toContain('sWrongPassword123');
  });
});

describe('the system with one NATS user per process', () => {
  it('runs dispatch → execution → ledger, housekeeping, the DLQ and every opsctl read without a single violation', async () => {
    const ledger = startService('services/ledger-service/src/main.ts', {
      ...as('ledger'),
      DATABASE_URL: db.urlAs(DB_ROLES.ledger),
      HTTP_PORT: '0',
    });
    services.push(ledger);
    await ledger.waitForOutput(/ledger-service ready/);
    const worker = startService('services/assignment-worker/src/main.ts', {
      ...as('worker'),
      DATABASE_URL: db.urlAs(DB_ROLES.worker),
      HTTP_PORT: '0',
      GRAPH_AUTHORITY_URL: graph.url,
      GRAPH_BASE_URL: graph.url,
      GRAPH_CLIENT_ID: 'ops-test',
      GRAPH_CLIENT_SECRET: GRAPH_SECRET,
    });
    services.push(worker);
    const housekeeping = startService('services/housekeeping/src/main.ts', {
      ...as('housekeeping'),
      HTTP_PORT: '0',
      HOUSEKEEPING_CRON: '0 0 1 1 *',
    });
    services.push(housekeeping);
    await Promise.all([worker.waitForOutput(/assignment-worker ready/), housekeeping.waitForOutput(/housekeeping ready/)]);

    const cli = { ...as('opsctl'), DATABASE_URL: db.urlAs(DB_ROLES.cli) };
    const run = async (args: string[]) => {
      const r = await opsctl([...args, '--json'], cli);
      expect(r.code, `opsctl ${args.join(' ')}: ${r.stderr}`).toBe(0);
      return JSON.parse(r.stdout) as Record<string, unknown> & { run_id: string; disposition: string };
    };
    const tenants = (await run(['tenants', 'list'])) as unknown as { workspaces: Array<{ id: string; tenants: Array<{ id: string }> }> };
    const workspace = tenants.workspaces[0]!.id;
    const tenant = tenants.workspaces[0]!.tenants[0]!.id;

    // opsctl: ensure_run + job publish; worker: consume, KV lease, Graph, events; ledger: apply
    const fetch = await run(['dispatch', 'assignments.fetch', '--workspace', workspace, '--tenant', tenant]);
    expect(fetch.disposition).toBe('created');
    const done = await run(['runs', 'wait', fetch.run_id, '--workspace', workspace, '--timeout', '30']);
    expect(done).toMatchObject({ status: 'completed', outcome: 'succeeded' });
    const again = await run(['dispatch', 'assignments.fetch', '--workspace', workspace, '--tenant', tenant]);
    expect(again).toMatchObject({ disposition: 'cooldown', run_id: fetch.run_id });

    // opsctl reads: KV listing (ordered consumer), runs list; housekeeping: its micro service, ledger API, KV
    const locks = (await run(['locks', 'list'])) as unknown as { locks: Array<{ run_id: string }> };
    expect(locks.locks.map((l) => l.run_id)).toContain(fetch.run_id);
    const hk = await run(['housekeeping', 'run', '--workspace', workspace]);
    expect(hk.disposition).toBe('created');
    const hkRun = await run(['runs', 'wait', hk.run_id, '--workspace', workspace, '--timeout', '30']);
    expect(hkRun).toMatchObject({ status: 'completed', outcome: 'succeeded' });
    const list = (await run(['runs', 'list', '--workspace', workspace])) as unknown as { runs: unknown[] };
    expect(list.runs).toHaveLength(2);

    // a malformed event (the worker may publish events): the ledger dead-letters it, opsctl reads the DLQ
    const nc = await connect({ servers: server.url, user: 'worker', pass: passwords.worker, inboxPrefix: '_INBOX.worker' });
    try {
      const { jetstream } = await import('@nats-io/jetstream');
      await jetstream(nc).publish('ops.ledger.events.completed', '{"not":"an event"}');
    } finally {
      await nc.close();
    }
    await expect
      .poll(async () => ((await run(['dlq', 'list'])) as unknown as { messages: unknown[] }).messages.length, { timeout: 15_000 })
      .toBe(1);

    // the operator user's actions (issue #21): the ledger acts on the locks bucket, OPS_JOBS, OPS_DLQ and the events
    const operator = { ...as('operator'), DATABASE_URL: db.urlAs(DB_ROLES.cli) };
    const act = async (args: string[]) => {
      const r = await opsctl([...args, '--actor', 'perm-test', '--reason', 'permissions test', '--json'], operator);
      expect(r.code, `opsctl ${args.join(' ')}: ${r.stderr}`).toBe(0);
      return JSON.parse(r.stdout) as Record<string, unknown> & { run_id: string; disposition: string };
    };
    const rerun = await act(['runs', 'rerun', fetch.run_id, '--workspace', workspace, '--force']);
    expect(rerun.disposition).toBe('created');
    expect(await run(['runs', 'wait', rerun.run_id, '--workspace', workspace, '--timeout', '30'])).toMatchObject({ outcome: 'succeeded' });
    graph.setFaults({ latencyMs: 2_000 });
    try {
      const slow = await run(['dispatch', 'assignments.restore', '--workspace', workspace, '--tenant', tenant]);
      const cancelled = (await act(['runs', 'cancel', slow.run_id, '--workspace', workspace])) as unknown as { run: { outcome: string } };
      expect(cancelled.run.outcome).toBe('cancelled');
    } finally {
      graph.setFaults({});
    }
    const [letter] = ((await run(['dlq', 'list'])) as unknown as { messages: Array<{ seq: number }> }).messages;
    await act(['dlq', 'redrive', String(letter!.seq), '--force']);
    // the same bytes fail the same way: dead-lettered again, then purged
    await expect
      .poll(async () => ((await run(['dlq', 'list'])) as unknown as { messages: Array<{ seq: number }> }).messages, { timeout: 15_000 })
      .toHaveLength(1);
    const [second] = ((await run(['dlq', 'list'])) as unknown as { messages: Array<{ seq: number }> }).messages;
    expect(second!.seq).toBeGreaterThan(letter!.seq);
    await act(['dlq', 'purge', String(second!.seq)]);
    const marker = ((await run(['locks', 'list'])) as unknown as { locks: Array<{ key: string; run_id: string }> }).locks.find(
      (l) => l.run_id === rerun.run_id,
    );
    expect(await act(['locks', 'release', marker!.key, '--cooldown'])).toMatchObject({ state: 'completed' });

    // the web console as its own user (issue #22): every page's reads and an action (bearer: no CSRF)
    const consolePort = await freePort();
    const consoleToken = `t${randomBytes(16).toString('hex')}`;
    const consoleProc = startService('services/console/src/main.ts', {
      ...as('console'),
      CONSOLE_PORT: String(consolePort),
      CONSOLE_TOKEN: consoleToken,
    });
    services.push(consoleProc);
    await consoleProc.waitForOutput(/console ready/);
    const page = async (path: string, init: RequestInit = {}) => {
      // (`fetch` is the dispatched run here)
      const r = await globalThis.fetch(`http://127.0.0.1:${consolePort}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${consoleToken}`, 'content-type': 'application/json' },
      });
      expect(r.status, `console ${path}: ${await r.clone().text()}`).toBe(200);
      return r.json() as Promise<Record<string, unknown>>;
    };
    for (const path of ['/api/session', '/api/workspaces', `/api/runs?workspace=${workspace}`, '/api/locks', '/api/dlq', '/api/health']) {
      await page(path);
    }
    expect(await page(`/api/runs/${rerun.run_id}?workspace=${workspace}`)).toMatchObject({ id: rerun.run_id });
    const fromConsole = await page(`/api/runs/${fetch.run_id}/rerun`, {
      method: 'POST',
      body: JSON.stringify({ workspace, reason: 'permissions test from the console' }),
    });
    expect(fromConsole).toMatchObject({ disposition: 'cooldown' });

    expect(violations(server.log())).toEqual([]);
    for (const s of services) expect(violations(s.output())).toEqual([]);
  });
});

describe('what the matrix denies', () => {
  // after the flow above, so its "no violation" check is not disturbed
  it.each(NATS_USERS)('%s: every denied publish and subscribe is refused, an allowed one is not', async (user) => {
    const nc: NatsConnection = await connect({
      servers: server.url,
      user,
      pass: passwords[user],
      inboxPrefix: `_INBOX.${user}`,
      reconnect: false,
    });
    const refused = new Set<string>();
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'error') {
          const m = /Violation for (Publish|Subscription) to "([^"]+)"/.exec(String(s.error?.message));
          if (m) refused.add(`${m[1] === 'Publish' ? 'publish' : 'subscribe'} ${m[2]}`);
        }
      }
    })();
    try {
      const { publish, subscribe } = perms[user].denied;
      expect(publish.length + subscribe.length).toBeGreaterThan(3);
      for (const subject of publish) nc.publish(subject, 'x');
      for (const subject of subscribe) nc.subscribe(subject);
      // control: a subject this user may publish produces no error
      const allowed = perms[user].publish.find((s) => !/[*>]/.test(s))!;
      nc.publish(allowed, 'x');
      await nc.flush();
      const expected = [...publish.map((p) => `publish ${p}`), ...subscribe.map((p) => `subscribe ${p}`)].sort();
      await expect.poll(() => [...refused].sort(), { timeout: 5_000 }).toEqual(expected);

      expect(refused.has(`publish ${allowed}`)).toBe(false);
    } finally {
      await nc.close();
    }
    const logged = violations(server.log()).filter((l) => l.includes(`User "${user}"`));
    for (const subject of [...perms[user].denied.publish, ...perms[user].denied.subscribe]) {
      expect(
        logged.some((l) => l.includes(`Subject "${subject}"`)),
        `server log for ${user} ${subject}`,
      ).toBe(true);
    }
  });

  it('refuses every operator action to the read-only opsctl user, with a message naming the operator user', async () => {
    const ws = '00000000-0000-4000-8000-000000000001';
    const run = '00000000-0000-4000-8000-000000000002';
    const key = `assignments.fetch.${'a'.repeat(64)}`;
    for (const args of [
      ['runs', 'cancel', run, '--workspace', ws],
      ['runs', 'rerun', run, '--workspace', ws, '--force'],
      ['dlq', 'redrive', '1'],
      ['dlq', 'purge', '1'],
      ['locks', 'release', key, '--force'],
    ]) {
      const r = await opsctl([...args, '--actor', 'mallory', '--reason', 'trying'], as('opsctl'));
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(
        /^opsctl: NATS refused the request: this NATS user may not call \w+ .* — operator actions need the operator user \(NATS_USER=operator\)\n$/,
      );
    }
  });

  it('lets nobody but the ledger consume OPS_LEDGER or write the ledger consumer', () => {
    for (const user of NATS_USERS) {
      const touches = perms[user].publish.filter((s) =>
        /CONSUMER\.(CREATE|DURABLE\.CREATE|MSG\.NEXT)\.OPS_LEDGER|\$JS\.ACK\.OPS_LEDGER/.test(s),
      );
      if (user === 'ledger') expect(touches.length).toBeGreaterThan(0);
      else expect(touches, user).toEqual([]);
    }
  });
});
