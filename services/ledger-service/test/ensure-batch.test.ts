import { randomUUID } from 'node:crypto';
import { catalogEntry, computeIdentity, isOpsError, type RunType } from '@ops/contracts';
import { sleep, useLedgerHarness } from '@ops/test-support';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { EnsureCommand } from '../src/repositories/ensure-runs.ts';
import { createRunsRepository } from '../src/repositories/runs-repository.ts';

// ensure_run by group commit (issue #18, item 1): one statement for the
// requests that arrive together, with the per-request semantics of one call.

const h = useLedgerHarness();

function command(o: { tenantId: string; policyIds?: string[]; initiatorName?: string; type?: RunType }): EnsureCommand {
  const type = o.type ?? 'assignments.fetch';
  const entry = catalogEntry(type);
  const workspaceId = h.seed.workspace.id;
  const identity = computeIdentity({ type, workspaceId, tenantId: o.tenantId, inputs: { policy_ids: o.policyIds ?? [] } });
  return {
    id: randomUUID(),
    workspaceId,
    tenantId: o.tenantId,
    type,
    identityHash: identity.hash,
    context: { inputs: identity.fingerprintInputs, label: entry.label },
    initiatorName: o.initiatorName ?? 'batch-test',
    userId: null,
    cooldownSeconds: entry.cooldownSeconds,
    explicitRunId: false,
    policyIds: identity.policyIds,
  };
}

describe('ensure_run by group commit', () => {
  it('one batch: k commands for one identity give one created and k − 1 active (dedupe_hits k − 1); an unknown tenant and a row PostgreSQL refuses answer alone', async () => {
    const repo = createRunsRepository(h.service.orm.em);
    const tenant = h.seed.tenants[0]!.id;
    const k = 5;
    const same = Array.from({ length: k }, () => command({ tenantId: tenant }));
    const unknownTenant = command({ tenantId: randomUUID() });
    // a NUL in text: PostgreSQL refuses it (SQLSTATE class 22) — the edge refuses it too, this is the last line
    const refused = command({ tenantId: h.seed.tenants[1]!.id, initiatorName: 'bad\u0000name' });
    const other = command({ tenantId: h.seed.tenants[1]!.id, type: 'assignments.restore' });
    const batch = [same[0]!, unknownTenant, same[1]!, refused, same[2]!, other, same[3]!, same[4]!];

    const outcomes = await repo.ensureRuns(batch, new Date());

    expect(outcomes).toHaveLength(batch.length);
    const ok = (i: number) => {
      const o = outcomes[i]!;
      if (isOpsError(o)) throw new Error(`command ${i} failed: ${o.message}`);
      return o;
    };
    const sameIdx = [0, 2, 4, 6, 7];
    expect(sameIdx.map((i) => ok(i).disposition)).toEqual(['created', 'active', 'active', 'active', 'active']);
    expect(new Set(sameIdx.map((i) => ok(i).row.id))).toEqual(new Set([same[0]!.id]));
    expect(ok(5)).toMatchObject({ disposition: 'created', row: { id: other.id, type: 'assignments.restore' } });
    expect(outcomes[1]).toMatchObject({ code: 'not_found', message: 'tenant not found in this workspace' });
    expect(outcomes[3]).toMatchObject({ code: 'bad_request' });

    const run = await h.client.getRun({ workspace_id: h.seed.workspace.id, run_id: same[0]!.id });
    expect(run).toMatchObject({ status: 'queued', dedupe_hits: k - 1 });
    const rows = await h.sql<{ n: string }>('SELECT count(*) AS n FROM operation_runs WHERE run_identity_hash = $1', [
      same[0]!.identityHash,
    ]);
    expect(rows[0]!.n).toBe('1');
    expect(await h.sql('SELECT id FROM operation_runs WHERE id = ANY($1::uuid[])', [[unknownTenant.id, refused.id]])).toEqual([]);
  });

  it('requests sent together over NATS are answered from fewer statements than requests, each with its own reply', async () => {
    const histogram = h.service.registry.getSingleMetric('ops_ledger_ensure_batch_size')!;
    const count = async () =>
      (await histogram.get()).values.find((v) => (v as { metricName?: string }).metricName === 'ops_ledger_ensure_batch_size_count')
        ?.value ?? 0;
    const before = await count();
    const policies = await h.sql<{ id: string }>('SELECT id FROM policies WHERE tenant_id = $1 ORDER BY id', [h.seed.tenants[0]!.id]);
    // 40 requests, 4 identities (10 each): whole-tenant and single-policy fetches, and a restore
    const identities = [[], [policies[0]!.id], [policies[1]!.id], [policies[2]!.id]];
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        h.client.ensureRun({
          workspace_id: h.seed.workspace.id,
          tenant_id: h.seed.tenants[0]!.id,
          type: 'assignments.restore',
          inputs: { policy_ids: identities[i % 4]! },
          initiator: { name: 'batch-test' },
        }),
      ),
    );
    const statements = (await count()) - before;
    expect(statements).toBeGreaterThan(0);
    expect(statements).toBeLessThanOrEqual(20);
    expect(replies.filter((r) => r.disposition === 'created')).toHaveLength(4);
    expect(replies.filter((r) => r.disposition === 'active')).toHaveLength(36);
    for (const r of replies) expect(r.published).toBe(r.disposition === 'created');
    const runs = new Set(replies.map((r) => r.run.id));
    expect(runs.size).toBe(4);
    for (const id of runs) {
      expect((await h.client.getRun({ workspace_id: h.seed.workspace.id, run_id: id })).dedupe_hits).toBe(9);
    }
  });

  it('a batch held by a row lock never creates a second run of an identity that another batch created and completed meanwhile (two replicas)', async () => {
    // found by pnpm bench --cluster (W2, two ledger replicas): 2,501 rows for 2,500 identities.
    // Batch B reads its snapshot, then waits for a row lock (J's); meanwhile batch A creates
    // identity I's run and it completes; without the identity locks B then inserted a second run of I
    const repo = createRunsRepository(h.service.orm.em);
    const tenant = h.seed.tenants[1]!.id;
    const policies = await h.sql<{ id: string }>('SELECT id FROM policies WHERE tenant_id = $1 ORDER BY id', [tenant]);
    const j = () => command({ tenantId: tenant, policyIds: [policies[0]!.id] });
    const i = () => command({ tenantId: tenant, policyIds: [policies[1]!.id] });
    const [created] = await repo.ensureRuns([j()], new Date());
    if (!created || isOpsError(created)) throw new Error('J was not created');
    const locker = new pg.Client({ connectionString: h.db.url });
    await locker.connect();
    let aFinishedWhileBWaited = false;
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM operation_runs WHERE id = $1 FOR UPDATE', [created.row.id]);
      const batchB = repo.ensureRuns([j(), i()], new Date());
      await expect
        .poll(async () => {
          const { rows } = await locker.query(
            'SELECT count(*)::int AS n FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))',
          );
          return rows[0].n;
        })
        .toBeGreaterThan(0);
      const batchA = repo.ensureRuns([i()], new Date());
      const first = await Promise.race([batchA, sleep(1_500).then(() => null)]);
      if (first) {
        // A was not held back: its run of I runs and completes at once
        aFinishedWhileBWaited = true;
        const [a] = first;
        if (!a || isOpsError(a)) throw new Error('A failed');
        await h.sql(
          `UPDATE operation_runs SET status = 'completed', outcome = 'succeeded', completed_at = now(), updated_at = now() WHERE id = $1`,
          [a.row.id],
        );
      }
      await locker.query('COMMIT');
      const [b, a] = await Promise.all([batchB, batchA]);
      expect(b!.every((o) => !isOpsError(o))).toBe(true);
      expect(a!.every((o) => !isOpsError(o))).toBe(true);
    } finally {
      await locker.end();
    }
    const rows = await h.sql<{ n: string }>('SELECT count(*) AS n FROM operation_runs WHERE run_identity_hash = $1', [i().identityHash]);
    expect({ runsOfI: rows[0]!.n, aFinishedWhileBWaited }).toEqual({ runsOfI: '1', aFinishedWhileBWaited: false });
  });
});
