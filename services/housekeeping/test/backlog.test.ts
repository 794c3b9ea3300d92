import { jetstreamManager } from '@nats-io/jetstream';
import { insertBacklog, useHousekeepingStack } from '@ops/test-support';
import { describe, expect, it } from 'vitest';

/**
 * Housekeeping heals a large backlog whole (issue #16, scenario 2): 600 quiet
 * active runs whose contexts hold 500 policy ids each — more than one page,
 * more than one max_payload — are all examined in one execution. Before,
 * its single listing (the oldest 500) outgrew the bus and the execution
 * failed exactly when a backlog built up.
 */
const h = useHousekeepingStack({ tenants: 1, policiesPerTenant: 1 });
const QUEUED = 300;
const RUNNING = 300;

describe('a backlog larger than one reply', () => {
  it('one execution examines all 600 runs: the running ones end run.stale, the queued ones get their job again', async () => {
    const backlog = await insertBacklog(h, {
      queued: QUEUED,
      running: RUNNING,
      policiesPerRun: 500,
      quietForSeconds: 3600,
    });
    const hk = await h.startHousekeeping();
    const { reconcileWorkspace } = await import('../src/reconcile.ts');
    const result = await reconcileWorkspace(hk.deps, h.seed.workspace.id, 'backlog');
    expect(result).toMatchObject({ disposition: 'created', outcome: 'succeeded', counts: { total: 600, processed: 600, failed: 0 } });

    const reconcile = await h.waitCompleted((result as { runId: string }).runId);
    expect(reconcile.summary_counts).toEqual({ total: 600, processed: 600, failed: 0 });
    // every running run closed by heal (no lease: its execution is gone), none left out
    await expect
      .poll(
        async () =>
          (
            await h.sql<{ n: string }>(`SELECT count(*) AS n FROM operation_runs WHERE id = ANY($1::uuid[]) AND status = 'completed'`, [
              backlog.running,
            ])
          )[0]!.n,
        { timeout: 30_000 },
      )
      .toBe(String(RUNNING));
    const codes = await h.sql<{ code: string; n: string }>(
      `SELECT failure_summary->0->>'code' AS code, count(*) AS n FROM operation_runs WHERE id = ANY($1::uuid[]) GROUP BY 1`,
      [backlog.running],
    );
    expect(codes).toEqual([{ code: 'run.stale', n: String(RUNNING) }]);
    // every queued run's job is in OPS_JOBS again (no worker here to take it)
    const jobs = await (await jetstreamManager(h.nc)).streams.info(h.names.streams.jobs);
    expect(jobs.state.messages).toBe(QUEUED);
  });
});
