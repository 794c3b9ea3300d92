import { OpsError } from '@ops/contracts';
import { useLedgerHarness } from '@ops/test-support';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

const h = useLedgerHarness();
const initiator = { name: 'test' };

function tenant(i = 0) {
  return h.seed.tenants[i]!;
}

async function complete(runId: string, workspaceId: string, at: Date, outcome: 'succeeded' | 'cancelled' = 'succeeded') {
  // the ledger applies completions from OPS_LEDGER; publish a real event and wait for it
  const { jetstream } = await import('@nats-io/jetstream');
  const js = jetstream(h.nc);
  const base = { v: 1, run_id: runId, workspace_id: workspaceId, attempt: 1, at: at.toISOString() };
  await js.publish(h.names.ledgerEventSubject('started'), JSON.stringify({ ...base, kind: 'started', seq: 0 }));
  await js.publish(
    h.names.ledgerEventSubject('completed'),
    JSON.stringify({
      ...base,
      kind: 'completed',
      seq: 1,
      outcome,
      counts: outcome === 'succeeded' ? { total: 1, processed: 1, failed: 0 } : { total: 0, processed: 0, failed: 0 },
      failures: outcome === 'succeeded' ? [] : [{ code: 'run.skipped_cooldown', message: 'skipped', count: 1 }],
    }),
  );
  await expect
    .poll(async () => (await h.client.getRun({ workspace_id: workspaceId, run_id: runId })).status, { timeout: 10_000 })
    .toBe('completed');
}

describe('ensure_run', () => {
  it('50 concurrent calls for one identity yield one run, 49 active dispositions and dedupe_hits = 49', async () => {
    const request = {
      workspace_id: h.seed.workspace.id,
      tenant_id: tenant().id,
      type: 'assignments.fetch' as const,
      inputs: { policy_ids: [] },
      initiator,
    };
    const replies = await Promise.all(Array.from({ length: 50 }, () => h.client.ensureRun(request)));
    const created = replies.filter((r) => r.disposition === 'created');
    const active = replies.filter((r) => r.disposition === 'active');
    expect(created).toHaveLength(1);
    expect(active).toHaveLength(49);
    const runId = created[0]!.run.id;
    // every rejected duplicate got the canonical run's id back
    expect(new Set(replies.map((r) => r.run.id))).toEqual(new Set([runId]));
    const run = await h.client.getRun({ workspace_id: h.seed.workspace.id, run_id: runId });
    expect(run.dedupe_hits).toBe(49);
    expect(run.status).toBe('queued');
    const { rows } = await h.service.orm.em
      .fork()
      .getConnection()
      .execute<{ rows: unknown[] }>(`SELECT id FROM operation_runs WHERE run_identity_hash = '${run.run_identity_hash}'`, [], 'run');
    expect(rows).toHaveLength(1);
  });

  it('the policy order of the inputs does not change the identity; another selection is another run', async () => {
    const [p1, p2] = await policiesOf(tenant(1).id);
    const base = { workspace_id: h.seed.workspace.id, tenant_id: tenant(1).id, type: 'assignments.restore' as const, initiator };
    const a = await h.client.ensureRun({ ...base, inputs: { policy_ids: [p1, p2] } });
    const b = await h.client.ensureRun({ ...base, inputs: { policy_ids: [p2, p1, p2] } });
    const c = await h.client.ensureRun({ ...base, inputs: { policy_ids: [p1] } });
    expect(a.disposition).toBe('created');
    expect(b).toMatchObject({ disposition: 'active', run: { id: a.run.id } });
    expect(c.disposition).toBe('created');
    expect(c.run.run_identity_hash).not.toBe(a.run.run_identity_hash);
  });

  it('cooldown boundaries: 14m59s after completion → cooldown, 15m01s → created', async () => {
    const start = new Date('2030-01-01T12:00:00.000Z');
    h.clock.set(start);
    const request = {
      workspace_id: h.seed.workspace.id,
      tenant_id: tenant(0).id,
      type: 'assignments.restore' as const,
      inputs: {},
      initiator,
    };
    const first = await h.client.ensureRun(request);
    expect(first.disposition).toBe('created');
    await complete(first.run.id, h.seed.workspace.id, start);

    h.clock.set(new Date(start.getTime() + (14 * 60 + 59) * 1000));
    const during = await h.client.ensureRun(request);
    expect(during).toMatchObject({ disposition: 'cooldown', run: { id: first.run.id, status: 'completed', dedupe_hits: 1 } });

    h.clock.set(new Date(start.getTime() + (15 * 60 + 1) * 1000));
    const after = await h.client.ensureRun(request);
    expect(after.disposition).toBe('created');
    expect(after.run.id).not.toBe(first.run.id);
    h.clock.set(new Date());
  });

  it('a run skipped for cooldown (cancelled, never executed) starts no cooldown of its own', async () => {
    const start = new Date('2031-01-01T12:00:00.000Z');
    h.clock.set(start);
    const request = {
      workspace_id: h.seed.workspace.id,
      tenant_id: tenant(1).id,
      type: 'assignments.fetch' as const,
      inputs: {},
      initiator,
    };
    const skipped = await h.client.ensureRun(request);
    expect(skipped.disposition).toBe('created');
    await complete(skipped.run.id, h.seed.workspace.id, start, 'cancelled');
    // a minute later: within 15 minutes of that "completion", yet nothing ran — a new run is created
    h.clock.set(new Date(start.getTime() + 60_000));
    const next = await h.client.ensureRun(request);
    expect(next.disposition).toBe('created');
    expect(next.run.id).not.toBe(skipped.run.id);
    h.clock.set(new Date());
  });

  it('a run completing while ensure_run waits for its row lock → cooldown, never a second run', async () => {
    const [, , p3] = await policiesOf(tenant(1).id);
    const request = {
      workspace_id: h.seed.workspace.id,
      tenant_id: tenant(1).id,
      type: 'assignments.fetch' as const,
      inputs: { policy_ids: [p3!] },
      initiator,
    };
    const first = await h.client.ensureRun(request);
    expect(first.disposition).toBe('created');
    // the ledger's event batch holds the row and completes the run, not yet committed
    const completing = new pg.Client({ connectionString: h.db.url });
    await completing.connect();
    try {
      await completing.query('BEGIN');
      await completing.query(
        `UPDATE operation_runs SET status = 'completed', outcome = 'succeeded', completed_at = $2, updated_at = $2 WHERE id = $1`,
        [first.run.id, h.clock.now()],
      );
      // ensure_run reads the run as queued, then blocks on its row lock
      const pending = h.client.ensureRun(request);
      await expect
        .poll(async () => {
          // a backend blocked by this transaction: ensure_run's statement
          const { rows } = await completing.query(
            'SELECT count(*)::int AS n FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))',
          );
          return rows[0].n;
        })
        .toBeGreaterThan(0);
      await completing.query('COMMIT');
      const second = await pending;
      expect(second).toMatchObject({ disposition: 'cooldown', run: { id: first.run.id, status: 'completed' } });
    } finally {
      await completing.end();
    }
    const { rows } = await h.service.orm.em
      .fork()
      .getConnection()
      .execute<{ rows: unknown[] }>(`SELECT id FROM operation_runs WHERE run_identity_hash = '${first.run.run_identity_hash}'`, [], 'run');
    expect(rows).toHaveLength(1);
  });

  it('a workspace-scoped type has no cooldown and needs no tenant', async () => {
    const request = { workspace_id: h.seed.workspace.id, type: 'ops.reconcile_adapter_runs' as const, initiator: { name: 'housekeeping' } };
    const first = await h.client.ensureRun(request);
    expect(first).toMatchObject({ disposition: 'created', run: { tenant_id: null } });
    expect((await h.client.ensureRun(request)).disposition).toBe('active');
    await complete(first.run.id, h.seed.workspace.id, h.clock.now());
    expect((await h.client.ensureRun(request)).disposition).toBe('created');
  });

  it('a caller-provided run id is the identity and the row id', async () => {
    const runId = '0a0e4bd4-5b3e-4c55-9d0c-8d3f0a7c1b21';
    const request = {
      workspace_id: h.seed.workspace.id,
      tenant_id: tenant(1).id,
      type: 'assignments.fetch' as const,
      run_id: runId,
      initiator,
    };
    const first = await h.client.ensureRun(request);
    expect(first).toMatchObject({ disposition: 'created', run: { id: runId } });
    expect(await h.client.ensureRun(request)).toMatchObject({ disposition: 'active', run: { id: runId } });
  });

  it.each([
    ['a tenant-scoped type without tenant', { type: 'assignments.fetch' }, 'bad_request'],
    ['a workspace-scoped type with a tenant', { type: 'ops.reconcile_adapter_runs', tenant_id: 'TENANT' }, 'bad_request'],
    ['an unknown type', { type: 'assignments.delete', tenant_id: 'TENANT' }, 'bad_request'],
    [
      'a secret smuggled into the inputs',
      { type: 'assignments.fetch', tenant_id: 'TENANT', inputs: { client_secret: 's3cr3t-value' } },
      'bad_request',
    ],
    [
      'an unknown workspace',
      { type: 'assignments.fetch', tenant_id: 'TENANT', workspace_id: '9b2f3c1e-4d5a-4b6c-8d7e-0f1a2b3c4d5e' },
      'not_found',
    ],
    ["another workspace's tenant", { type: 'assignments.fetch', tenant_id: 'OTHER_TENANT' }, 'not_found'],
    [
      'a policy of another tenant',
      { type: 'assignments.fetch', tenant_id: 'TENANT', inputs: { policy_ids: ['OTHER_POLICY'] } },
      'not_found',
    ],
  ])('refuses %s with a typed error', async (_name, patch, code) => {
    const otherPolicy = (await policiesOf(h.seed.tenants[1]!.id))[0];
    const resolved = JSON.parse(
      JSON.stringify({ workspace_id: h.seed.workspace.id, inputs: {}, initiator, ...patch })
        .replaceAll('OTHER_TENANT', await otherWorkspaceTenant())
        .replaceAll('OTHER_POLICY', otherPolicy!)
        .replaceAll('TENANT', tenant().id),
    );
    const err = await h.client.ensureRun(resolved).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpsError);
    expect((err as OpsError).code).toBe(code);
    // the refused secret is not echoed back
    expect(JSON.stringify({ message: (err as OpsError).message, issues: (err as OpsError).issues })).not.toContain('s3cr3t-value');
  });

  it('answers malformed bytes and oversized requests with bad_request and keeps serving', async () => {
    for (const body of [new Uint8Array([0xff, 0xfe, 0x00]), new TextEncoder().encode('{"not": json'), new Uint8Array(200_000).fill(0x61)]) {
      const reply = await h.nc.request(h.names.ledgerApiSubject('ensure_run'), body, { timeout: 5_000 });
      expect(reply.json()).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    }
    expect((await h.client.listRuns({ workspace_id: h.seed.workspace.id })).runs.length).toBeGreaterThan(0);
  });
});

describe('record_duplicate', () => {
  it('counts a duplicate job on the canonical run, only within its workspace', async () => {
    const run = (
      await h.client.ensureRun({
        workspace_id: h.seed.workspace.id,
        tenant_id: tenant(1).id,
        type: 'assignments.fetch',
        run_id: '7d1f0c2a-3b4c-4d5e-8f60-718293a4b5c6',
        initiator,
      })
    ).run;
    const after = await h.client.recordDuplicate({ workspace_id: h.seed.workspace.id, run_id: run.id, reason: 'already_running' });
    expect(after.dedupe_hits).toBe(run.dedupe_hits + 1);
    const err = await h.client
      .recordDuplicate({ workspace_id: await otherWorkspaceId(), run_id: run.id, reason: 'cooldown' })
      .catch((e: unknown) => e);
    expect((err as OpsError).code).toBe('not_found');
    const bad = await h.client
      .recordDuplicate({ workspace_id: h.seed.workspace.id, run_id: run.id, reason: 'because' as 'cooldown' })
      .catch((e: unknown) => e);
    expect((bad as OpsError).code).toBe('bad_request');
  });
});

describe('housekeeping queries', () => {
  it('list_workspaces lists every workspace; list_active_runs only quiet queued/running runs of one workspace', async () => {
    const workspaces = await h.client.listWorkspaces();
    expect(workspaces.map((w) => w.slug).sort()).toEqual(['default', 'other']);
    const future = new Date(Date.now() + 60_000).toISOString();
    const active = (await h.client.listActiveRuns({ workspace_id: h.seed.workspace.id, quiet_since: future })).runs;
    expect(active.length).toBeGreaterThan(0);
    expect(active.every((r) => r.status !== 'completed' && r.workspace_id === h.seed.workspace.id)).toBe(true);
    expect(active[0]).toHaveProperty('last_event_at');
    expect((await h.client.listActiveRuns({ workspace_id: h.seed.workspace.id, quiet_since: '2000-01-01T00:00:00Z' })).runs).toEqual([]);
    expect((await h.client.listActiveRuns({ workspace_id: await otherWorkspaceId(), quiet_since: future })).runs).toEqual([]);
  });
});

describe('tenant isolation', () => {
  it('get_run and list_runs of another workspace see nothing', async () => {
    const mine = await h.client.ensureRun({
      workspace_id: h.seed.workspace.id,
      tenant_id: tenant(0).id,
      type: 'assignments.fetch',
      inputs: { policy_ids: (await policiesOf(tenant(0).id)).slice(0, 1) },
      initiator,
    });
    const otherWorkspace = await otherWorkspaceId();
    const err = await h.client.getRun({ workspace_id: otherWorkspace, run_id: mine.run.id }).catch((e: unknown) => e);
    expect((err as OpsError).code).toBe('not_found');
    expect((await h.client.listRuns({ workspace_id: otherWorkspace })).runs).toEqual([]);
    expect((await h.client.listRuns({ workspace_id: otherWorkspace, tenant_id: tenant(0).id })).runs).toEqual([]);
  });

  it('list_runs filters and pages with a cursor', async () => {
    const ws = h.seed.workspace.id;
    const all = await h.client.listRuns({ workspace_id: ws, limit: 500 });
    expect(all.runs.length).toBeGreaterThanOrEqual(5);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await h.client.listRuns({ workspace_id: ws, limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.runs.map((r) => r.id));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(all.runs.map((r) => r.id));
    const restores = await h.client.listRuns({ workspace_id: ws, type: 'assignments.restore', status: 'completed' });
    expect(restores.runs.length).toBeGreaterThan(0);
    expect(restores.runs.every((r) => r.type === 'assignments.restore' && r.status === 'completed')).toBe(true);
    const t1 = await h.client.listRuns({ workspace_id: ws, tenant_id: tenant(1).id });
    expect(t1.runs.every((r) => r.tenant_id === tenant(1).id)).toBe(true);
    const future = await h.client.listRuns({ workspace_id: ws, created_after: '2100-01-01T00:00:00Z' });
    expect(future.runs).toEqual([]);
    const bad = await h.client.listRuns({ workspace_id: ws, cursor: 'garbage' }).catch((e: unknown) => e);
    expect((bad as OpsError).code).toBe('bad_request');
  });
});

async function policiesOf(tenantId: string): Promise<string[]> {
  const rows = await h.service.orm.em
    .fork()
    .execute<Array<{ id: string }>>('SELECT id FROM policies WHERE tenant_id = ? ORDER BY id', [tenantId]);
  return rows.map((r) => r.id);
}

async function otherWorkspaceId(): Promise<string> {
  const [row] = await h.service.orm.em.fork().execute<Array<{ id: string }>>("SELECT id FROM workspaces WHERE slug = 'other'");
  return row!.id;
}

async function otherWorkspaceTenant(): Promise<string> {
  const [row] = await h.service.orm.em
    .fork()
    .execute<Array<{ id: string }>>("SELECT t.id FROM tenants t JOIN workspaces w ON w.id = t.workspace_id WHERE w.slug = 'other'");
  return row!.id;
}

describe('ids in any letter case (issue #16)', () => {
  it('the same dispatch with the tenant and workspace ids in upper case is the same run', async () => {
    const base = { type: 'assignments.restore' as const, inputs: {}, initiator: { name: 'case' } };
    const lower = await h.client.ensureRun({ ...base, workspace_id: h.seed.workspace.id, tenant_id: h.seed.tenants[1]!.id });
    const upper = await h.client.ensureRun({
      ...base,
      workspace_id: h.seed.workspace.id.toUpperCase(),
      tenant_id: h.seed.tenants[1]!.id.toUpperCase(),
    });
    expect(upper).toMatchObject({ disposition: lower.disposition === 'created' ? 'active' : lower.disposition, run: { id: lower.run.id } });
    expect(upper.run.tenant_id).toBe(h.seed.tenants[1]!.id);
  });
});
