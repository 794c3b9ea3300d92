import { Kvm } from '@nats-io/kv';
import { leaseKey } from '@ops/contracts';
import { readLease } from '@ops/nats';
import { useWorkerStack } from '@ops/test-support';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The cooldown on one clock (issue #15, scenario 4). The ledger decides it at
 * dispatch, on its clock, from `completed_at`; the worker's completion marker
 * lives the bucket TTL from its own write — a little later. A run the ledger
 * created after the cooldown must execute even while the old marker lives:
 * the worker asks the ledger (both times its own) instead of skipping it as
 * `cancelled / run.skipped_cooldown`.
 */
const h = useWorkerStack({ tenants: 1, policiesPerTenant: 2 });
beforeAll(async () => {
  await h.startWorker();
});

describe('a run created by the ledger after the cooldown, the old marker still alive', () => {
  it('executes: the marker gives way to the ledger’s decision', async () => {
    const first = await h.dispatch('assignments.fetch', 0);
    const done = await h.waitCompleted(first.run.id);
    expect(done.outcome).toBe('succeeded');

    // 15 minutes and a second later, by the ledger's clock; the bucket's TTL is 15 minutes of real time
    h.clock.set(new Date(Date.parse(done.completed_at!) + (15 * 60 + 1) * 1000));
    const second = await h.dispatch('assignments.fetch', 0);
    h.clock.set(new Date());
    expect(second.disposition).toBe('created');
    const kv = await new Kvm(h.nc).open(h.names.kv.locks);
    const marker = await readLease(kv, leaseKey('assignments.fetch', first.run.run_identity_hash));
    expect(marker.status === 'present' && marker.value).toMatchObject({ run_id: first.run.id, state: 'completed' });

    expect(await h.waitCompleted(second.run.id)).toMatchObject({
      outcome: 'succeeded',
      summary_counts: { total: 2, processed: 2, failed: 0 },
    });
  });
});
