import { randomUUID } from 'node:crypto';
import type { LedgerEventV1 } from '@ops/contracts';
import { useLedgerHarness, withOrm } from '@ops/test-support';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createRunsRepository } from '../src/repositories/runs-repository.ts';

/**
 * An event batch is applied in two statements without a transaction (issue
 * #18): read the rows, decide in the domain, one UPDATE only where each row
 * still is what was read. Here another writer (a second ledger replica)
 * changes the row between the read and the write, deterministically: it
 * holds the row lock, so the batch's UPDATE waits, then re-checks its
 * condition on the row the other writer committed. Without the condition the
 * batch would write attempt 1's state over attempt 2's (a lost update).
 */
const h = useLedgerHarness();

describe('applyEvents under a concurrent writer', () => {
  it("a row changed between the batch's read and its write is read again and decided again: attempt 2 is never overwritten by attempt 1", async () => {
    const run = (
      await h.client.ensureRun({
        workspace_id: h.seed.workspace.id,
        tenant_id: h.seed.tenants[0]!.id,
        type: 'assignments.fetch',
        run_id: randomUUID(),
        initiator: { name: 'test' },
      })
    ).run;
    const started1: LedgerEventV1 = {
      v: 1,
      kind: 'started',
      run_id: run.id,
      workspace_id: run.workspace_id,
      attempt: 1,
      seq: 0,
      owner: 'worker-a',
      at: new Date().toISOString(),
    };
    const other = new pg.Client({ connectionString: h.db.url });
    await other.connect();
    const rereads: number[] = [];
    try {
      await withOrm(h.db.url, async (orm) => {
        const repo = createRunsRepository(orm.em, { onReread: (n) => rereads.push(n) });
        // the other writer holds the row: the batch reads it (no lock), its UPDATE waits
        await other.query('BEGIN');
        await other.query('SELECT id FROM operation_runs WHERE id = $1 FOR UPDATE', [run.id]);
        const applying = repo.applyEvents([{ event: started1, streamSeq: 100 }], new Date());
        await expect
          .poll(
            async () => {
              // from another connection: inside a transaction pg_stat_activity is a snapshot
              const [r] = await h.sql<{ n: string }>(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
              );
              return Number(r!.n);
            },
            { timeout: 15_000 },
          )
          .toBe(1);
        // meanwhile the other replica applied attempt 2's started
        await other.query(
          `UPDATE operation_runs SET status = 'running', attempt = 2, event_seq = 0, last_event_stream_seq = 200,
                  started_at = now(), last_event_at = now(), updated_at = now() WHERE id = $1`,
          [run.id],
        );
        await other.query('COMMIT');
        const outcomes = await applying;
        // decided again on attempt 2: attempt 1's started is stale, nothing written
        expect(outcomes).toEqual([{ result: 'ignored', reason: expect.stringMatching(/attempt/) }]);
      });
    } finally {
      await other.end();
    }
    expect(rereads).toEqual([1]);
    expect(await h.client.getRun({ workspace_id: run.workspace_id, run_id: run.id })).toMatchObject({ status: 'running', attempt: 2 });
  });
});
