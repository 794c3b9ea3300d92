import { randomUUID } from 'node:crypto';
import { DB_ROLES } from '@ops/db';
import { createTestDatabase, type TestDatabase } from '@ops/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The schema's guarantees, proven against PostgreSQL itself: the partial
 * unique indexes (dispatch-time dedupe), NOT NULLs, CHECKs, FKs, and the
 * per-service grants (only the ledger role writes operation_runs).
 */
let db: TestDatabase;
let admin: pg.Client;
let ws: string;
let tenant: string;
let otherWs: string;
const hash = (c: string) => c.repeat(64);

beforeAll(async () => {
  db = await createTestDatabase();
  admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  ws = randomUUID();
  otherWs = randomUUID();
  tenant = randomUUID();
  await admin.query(`INSERT INTO workspaces (id, slug, name) VALUES ($1, 'w1', 'W1'), ($2, 'w2', 'W2')`, [ws, otherWs]);
  await admin.query(`INSERT INTO tenants (id, workspace_id, external_id, slug, name) VALUES ($1, $2, $3, 't1', 'T1')`, [
    tenant,
    ws,
    randomUUID(),
  ]);
});

afterAll(async () => {
  await admin?.end();
  await db?.drop();
});

async function insertRun(fields: Record<string, unknown>, client: pg.Client = admin): Promise<void> {
  const row = {
    id: randomUUID(),
    workspace_id: ws,
    tenant_id: tenant,
    initiator_name: 'test',
    type: 'assignments.fetch',
    run_identity_hash: hash('a'),
    ...fields,
  };
  const keys = Object.keys(row);
  await client.query(
    `INSERT INTO operation_runs (${keys.join(', ')}) VALUES (${keys.map((_, i) => `$${i + 1}`).join(', ')})`,
    Object.values(row),
  );
}

async function expectError(promise: Promise<unknown>, code: string, constraint?: string): Promise<void> {
  const err = (await promise.then(
    () => null,
    (e: unknown) => e,
  )) as { code?: string; constraint?: string } | null;
  expect(err, 'expected the database to refuse').not.toBeNull();
  expect(err!.code).toBe(code);
  if (constraint) expect(err!.constraint).toBe(constraint);
}

describe('partial unique indexes', () => {
  it('refuse a second active run of a tenant identity, allow one once the first completed', async () => {
    await insertRun({ run_identity_hash: hash('b'), status: 'queued' });
    await expectError(insertRun({ run_identity_hash: hash('b'), status: 'running' }), '23505', 'operation_runs_active_tenant_identity');
    await admin.query(
      `UPDATE operation_runs SET status = 'completed', outcome = 'succeeded', completed_at = now() WHERE run_identity_hash = $1`,
      [hash('b')],
    );
    await insertRun({ run_identity_hash: hash('b'), status: 'queued' });
    // a completed run never blocks: two completed runs of one identity are fine
    await insertRun({ run_identity_hash: hash('b'), status: 'completed', outcome: 'failed', completed_at: new Date() });
  });

  it('refuse a second active workspace-scoped run, per workspace', async () => {
    const fields = { tenant_id: null, type: 'ops.reconcile_adapter_runs', run_identity_hash: hash('c') };
    await insertRun(fields);
    await expectError(insertRun(fields), '23505', 'operation_runs_active_workspace_identity');
    await insertRun({ ...fields, workspace_id: otherWs });
  });
});

describe('constraints', () => {
  it.each([
    ['status', { status: 'paused' }, '23514'],
    ['outcome', { outcome: 'maybe' }, '23514'],
    ['completed without outcome', { status: 'completed', completed_at: new Date() }, '23514'],
    ['outcome without completion', { outcome: 'succeeded' }, '23514'],
    ['completed without completed_at', { status: 'completed', outcome: 'succeeded' }, '23514'],
    ['identity hash shape', { run_identity_hash: 'not-a-hash' }, '23514'],
    ['negative dedupe_hits', { dedupe_hits: -1 }, '23514'],
    ['summary_counts not an object', { summary_counts: JSON.stringify([1, 2]) }, '23514'],
    ['missing initiator_name', { initiator_name: null }, '23502'],
    ['missing workspace_id', { workspace_id: null }, '23502'],
    ['unknown workspace', { workspace_id: randomUUID(), tenant_id: null }, '23503'],
    ['a tenant of another workspace', { workspace_id: 'OTHER_WS' }, '23503'],
  ])('operation_runs refuses a bad %s', async (_name, fields, code) => {
    const resolved = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v === 'OTHER_WS' ? otherWs : v]));
    await expectError(insertRun({ run_identity_hash: hash('d'), ...resolved }), code);
  });

  it('tenants: workspace_id NOT NULL, external_id a UUID, unique per workspace', async () => {
    await expectError(
      admin.query(`INSERT INTO tenants (id, workspace_id, external_id, slug, name) VALUES ($1, NULL, $2, 'x', 'X')`, [
        randomUUID(),
        randomUUID(),
      ]),
      '23502',
    );
    await expectError(
      admin.query(`INSERT INTO tenants (id, workspace_id, external_id, slug, name) VALUES ($1, $2, 'not-a-uuid', 'x', 'X')`, [
        randomUUID(),
        ws,
      ]),
      '22P02',
    );
    const ext = randomUUID();
    await admin.query(`INSERT INTO tenants (id, workspace_id, external_id, slug, name) VALUES ($1, $2, $3, 'u1', 'U1')`, [
      randomUUID(),
      ws,
      ext,
    ]);
    await expectError(
      admin.query(`INSERT INTO tenants (id, workspace_id, external_id, slug, name) VALUES ($1, $2, $3, 'u2', 'U2')`, [
        randomUUID(),
        ws,
        ext,
      ]),
      '23505',
      'tenants_external_id_per_workspace',
    );
    // the same directory may be a tenant of another workspace
    await admin.query(`INSERT INTO tenants (id, workspace_id, external_id, slug, name) VALUES ($1, $2, $3, 'u1', 'U1')`, [
      randomUUID(),
      otherWs,
      ext,
    ]);
  });

  it('policies must belong to a tenant of their own workspace', async () => {
    await expectError(
      admin.query(`INSERT INTO policies (id, workspace_id, tenant_id, external_id, name) VALUES ($1, $2, $3, 'p', 'P')`, [
        randomUUID(),
        otherWs,
        tenant,
      ]),
      '23503',
      'policies_tenant_fk',
    );
  });
});

describe('grants (one role per service)', () => {
  async function as(role: string): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: db.urlAs(role) });
    await c.connect();
    return c;
  }

  it('the worker role can read tenancy but cannot INSERT or UPDATE operation_runs', async () => {
    const worker = await as(DB_ROLES.worker);
    try {
      expect((await worker.query('SELECT count(*) FROM tenants')).rows[0].count).toBeDefined();
      await expectError(worker.query(`UPDATE operation_runs SET dedupe_hits = dedupe_hits + 1`), '42501');
      await expectError(insertRun({ run_identity_hash: hash('e') }, worker), '42501');
      await expectError(worker.query('SELECT * FROM operation_runs'), '42501');
    } finally {
      await worker.end();
    }
  });

  it('housekeeping and opsctl roles cannot write operation_runs either', async () => {
    for (const role of [DB_ROLES.housekeeping, DB_ROLES.cli]) {
      const c = await as(role);
      try {
        await expectError(c.query(`UPDATE operation_runs SET dedupe_hits = 0`), '42501');
        await expectError(c.query(`DELETE FROM operation_runs`), '42501');
      } finally {
        await c.end();
      }
    }
  });

  it('the ledger role can insert and update operation_runs, but never delete them or touch tenancy', async () => {
    const ledger = await as(DB_ROLES.ledger);
    try {
      await insertRun({ run_identity_hash: hash('f') }, ledger);
      const res = await ledger.query(`UPDATE operation_runs SET dedupe_hits = dedupe_hits + 1 WHERE run_identity_hash = $1`, [hash('f')]);
      expect(res.rowCount).toBe(1);
      await expectError(ledger.query(`DELETE FROM operation_runs`), '42501');
      await expectError(ledger.query(`UPDATE tenants SET name = 'x'`), '42501');
    } finally {
      await ledger.end();
    }
  });
});
