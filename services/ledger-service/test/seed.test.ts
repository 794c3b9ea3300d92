import { dropDatabase } from '@ops/db';
import { createTestDatabase, runNode, type TestDatabase, testEnv } from '@ops/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

/** The seed job as operators run it: a separate process, real PostgreSQL (FR-009, FR-010, SC-004). */
const SEED = 'services/ledger-service/src/seed/main.ts';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

async function counts(url: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const q = async (sql: string) => Number((await c.query(sql)).rows[0].n);
    return {
      workspaces: await q('SELECT count(*) AS n FROM workspaces'),
      tenants: await q('SELECT count(*) AS n FROM tenants'),
      policies: await q('SELECT count(*) AS n FROM policies'),
      external_ids: (await c.query<{ external_id: string }>('SELECT external_id FROM tenants')).rows.map((r) => r.external_id),
    };
  } finally {
    await c.end();
  }
}

describe('seed job', () => {
  it('--fresh then again without it: same counts, UUID v4 external ids, no constraint error', async () => {
    const env = { DATABASE_URL: db.url, SEED_TENANTS: '4', SEED_POLICIES_PER_TENANT: '2' };
    const fresh = await runNode(SEED, ['--fresh', '--json'], env);
    expect(fresh.stderr).toBe('');
    expect(fresh.code).toBe(0);
    const first = JSON.parse(fresh.stdout);
    expect(first).toMatchObject({ fresh: true, seeded: true, created: { workspaces: 1, tenants: 4, policies: 8 } });
    expect(first.migrations_applied).toEqual([
      '001-initial',
      '002-roles',
      '003-assignment-snapshots',
      '004-snapshot-attempt',
      '005-closed-by-heal',
      '006-job-generation',
      '007-operator-actions',
      '008-run-timeline',
    ]);
    const afterFresh = await counts(db.url);

    const again = await runNode(SEED, ['--json'], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      fresh: false,
      migrations_applied: [],
      created: { workspaces: 0, tenants: 0, policies: 0 },
    });
    const afterAgain = await counts(db.url);
    expect(afterAgain).toEqual(afterFresh);
    expect(afterAgain).toMatchObject({ workspaces: 1, tenants: 4, policies: 8 });
    for (const id of afterAgain.external_ids) expect(id).toMatch(UUID_V4);
  });

  it('creates the database when it does not exist yet and prints a readable report', async () => {
    const name = `ops_t_${inject('runId')}_seedcreate`;
    const url = db.url.replace(/\/[^/]+$/, `/${name}`);
    try {
      const res = await runNode(SEED, [], { DATABASE_URL: url });
      expect(res.code).toBe(0);
      expect(res.stdout).toContain('workspace default');
      expect(res.stdout).toMatch(/created: 1 workspace\(s\), 3 tenant\(s\), 9 policy\(ies\)/);
      // --if-empty on a seeded database seeds nothing
      const skip = await runNode(SEED, ['--if-empty', '--json'], { DATABASE_URL: url });
      expect(JSON.parse(skip.stdout)).toMatchObject({ seeded: false });
    } finally {
      await dropDatabase(testEnv.DATABASE_URL, name);
    }
  });

  it('refuses --fresh with NODE_ENV=production unless --force, and bad arguments, with exit 2', async () => {
    const refused = await runNode(SEED, ['--fresh'], { DATABASE_URL: db.url, NODE_ENV: 'production' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refused with NODE_ENV=production/);
    const before = await counts(db.url);
    expect(before.workspaces).toBe(1);

    const bad = await runNode(SEED, ['--frsh'], { DATABASE_URL: db.url });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/usage: pnpm seed/);
    const badEnv = await runNode(SEED, [], { DATABASE_URL: db.url, SEED_TENANTS: 'many' });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toContain('SEED_TENANTS');
  });

  it('fails with exit 1 and a clear message (no credentials) when PostgreSQL is unreachable', async () => {
    const res = await runNode(SEED, [], { DATABASE_URL: 'postgres://admin:hunter2@127.0.0.1:1/ops' }, 30_000);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('127.0.0.1:1/ops');
    expect(res.stderr).not.toContain('hunter2');
  });
});
