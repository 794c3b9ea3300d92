import { randomUUID } from 'node:crypto';
import { useHousekeepingStack } from '@ops/test-support';
import { describe, expect, it } from 'vitest';

/**
 * The on-demand endpoint is bounded (issue #16, scenario 4): one execution
 * per workspace at a time on a replica — a request for a workspace it is
 * reconciling (or about to) is answered `active` at once, with the run — and
 * at most 8 executions at once with 64 more waiting; beyond, a request is
 * answered `unavailable` instead of starting yet another execution.
 */
const h = useHousekeepingStack({ tenants: 1, policiesPerTenant: 1 });

interface Reply {
  ok: boolean;
  run_id?: string | null;
  disposition?: string;
  error?: { code: string };
}

async function trigger(workspaceId: string): Promise<Reply> {
  const reply = await h.nc.request(h.names.housekeepingRunSubject, JSON.stringify({ workspace_id: workspaceId }), { timeout: 30_000 });
  return reply.json<Reply>();
}

/** the reconcile runs the ledger holds for these workspaces (any status) */
async function reconcileRuns(workspaceIds: string[]): Promise<Array<{ id: string; workspace_id: string; status: string }>> {
  return h.sql(
    `SELECT id, workspace_id, status FROM operation_runs WHERE type = 'ops.reconcile_adapter_runs' AND workspace_id = ANY($1::uuid[])`,
    [workspaceIds],
  );
}

/** A replica whose executions wait (in their listing of active runs) until `open()`. */
async function gatedHousekeeping() {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const hk = await h.startHousekeeping({}, (ledger) => ({
    ...ledger,
    listActiveRuns: async (request) => {
      await gate;
      return ledger.listActiveRuns(request);
    },
  }));
  return { hk, open };
}

describe('ops.housekeeping.run on demand', () => {
  it('requests for a workspace being reconciled are answered active at once, with its run; it executes once', async () => {
    const { hk, open } = await gatedHousekeeping();
    const workspaceId = h.seed.workspace.id;
    const first = trigger(workspaceId);
    await expect.poll(async () => (await reconcileRuns([workspaceId])).length, { timeout: 15_000 }).toBe(1);
    const [run] = await reconcileRuns([workspaceId]);

    // answered while the first execution is still held at the gate
    const others = await Promise.all(Array.from({ length: 5 }, () => trigger(workspaceId)));
    for (const reply of others) expect(reply).toEqual({ ok: true, run_id: run!.id, disposition: 'active' });

    open();
    expect(await first).toEqual({ ok: true, run_id: run!.id, disposition: 'created' });
    expect(await reconcileRuns([workspaceId])).toHaveLength(1);
    await hk.stopIntake();
  });

  it('at most 8 executions at once and 64 waiting: a waiting workspace is answered active, the 73rd unavailable; all are served', async () => {
    const IN_FLIGHT = 8;
    const QUEUED = 64;
    const workspaceIds = Array.from({ length: IN_FLIGHT + QUEUED + 1 }, () => randomUUID());
    await h.sql(
      `INSERT INTO workspaces (id, slug, name) SELECT id, 'on-demand-' || n, 'On demand ' || n FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)`,
      [workspaceIds],
    );
    const { hk, open } = await gatedHousekeeping();
    const admitted = workspaceIds.slice(0, IN_FLIGHT + QUEUED);
    const last = workspaceIds.at(-1)!;
    const busy = admitted.map((id) => trigger(id));
    // eight executions started (each ensured its run), held at the gate; the other 64 wait for a slot
    await expect.poll(async () => (await reconcileRuns(workspaceIds)).length, { timeout: 15_000 }).toBe(IN_FLIGHT);

    expect(await trigger(admitted.at(-1)!)).toEqual({ ok: true, run_id: null, disposition: 'active' });
    const refused = await trigger(last);
    expect(refused.ok).toBe(false);
    expect(refused.error?.code).toBe('unavailable');
    expect(await reconcileRuns(workspaceIds)).toHaveLength(IN_FLIGHT);

    open();
    for (const reply of await Promise.all(busy)) expect(reply).toMatchObject({ ok: true, disposition: 'created' });
    expect(new Set((await reconcileRuns(admitted)).map((r) => r.workspace_id)).size).toBe(admitted.length);
    expect(await trigger(last)).toMatchObject({ ok: true, disposition: 'created' });
    await hk.stopIntake();
  });
});
