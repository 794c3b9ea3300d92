import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { leaseKey, type RunLeaseV1 } from '@ops/contracts';
import { createLease } from '@ops/nats';
import { insertRun, sleep, useHousekeepingStack } from '@ops/test-support';
import { describe, expect, it } from 'vitest';

/**
 * A worker writes its completion marker (the lease `completed`, with what the
 * completed event will say) before it publishes that event (issue #18). One
 * that died in between, with no redelivery coming (its job gone), leaves a
 * run the ledger still has active: housekeeping publishes the recorded
 * completion — the run ends as it really did, not `run.stale`.
 */
const h = useHousekeepingStack({ tenants: 1, policiesPerTenant: 2 });

describe('a completion marker without its event', () => {
  it('housekeeping publishes the completion the marker records once the run is quiet past the grace', async () => {
    const [p0] = await h.policies(0);
    // queued, its job gone (consumed by the worker that then died)
    const run = await insertRun(h, { policyIds: [p0!.id] });
    const at = new Date().toISOString();
    const marker: RunLeaseV1 = {
      kind: 'run',
      run_id: run.id,
      owner: 'died-after-the-marker',
      attempt: 1,
      state: 'completed',
      heartbeat_at: at,
      stream_seq: 1,
      completed_at: at,
      result: { outcome: 'succeeded', counts: { total: 1, processed: 1, failed: 0 }, failures: [], seq: 1, at, started_at: at },
    };
    const kv = await new Kvm(h.nc).open(h.names.kv.locks);
    expect(await createLease(kv, leaseKey('assignments.fetch', run.run_identity_hash), marker)).not.toBeNull();
    // past the grace (1 s here) and the queued threshold (1 s): without the marker it would be republished
    await sleep(1_500);
    const hk = await h.startHousekeeping();
    const { reconcileWorkspace } = await import('../src/reconcile.ts');
    const result = await reconcileWorkspace(hk.deps, h.seed.workspace.id, 'finish');
    expect(result).toMatchObject({ outcome: 'succeeded', counts: { total: 1, processed: 1, failed: 0 } });
    expect(await h.waitCompleted(run.id)).toMatchObject({
      outcome: 'succeeded',
      attempt: 1,
      summary_counts: { total: 1, processed: 1, failed: 0 },
    });
    // nothing was re-dispatched: no job in OPS_JOBS
    expect((await (await jetstreamManager(h.nc)).streams.info(h.names.streams.jobs)).state.messages).toBe(0);
    await hk.stopIntake();
  });
});
