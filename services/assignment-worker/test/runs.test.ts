import { useWorkerStack } from '@ops/test-support';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * User story 1 end to end: fetch and restore runs end completed with the
 * counters the fake Graph's ground truth implies (SC-001), partial failure is
 * visible without hiding successes, throttling is honoured.
 */
const h = useWorkerStack({ tenants: 3, policiesPerTenant: 3 });
beforeAll(async () => {
  await h.startWorker({ WORKER_MAX_DELIVER: '3' });
});

describe('assignment runs', () => {
  it('fetch then restore: completed, counters = ground truth, snapshots = what Graph holds', async () => {
    const policies = await h.policies(0);
    const tenantExt = h.seed.tenants[0]!.external_id;

    const fetch = await h.dispatch('assignments.fetch', 0);
    expect(fetch).toMatchObject({ disposition: 'created', published: true });
    const fetched = await h.waitCompleted(fetch.run.id);
    expect(fetched).toMatchObject({
      outcome: 'succeeded',
      attempt: 1,
      summary_counts: { total: 3, processed: 3, failed: 0 },
      failure_summary: [],
    });
    const probe = h.graph.probe();
    for (const p of policies) {
      const key = probe.by_key[`${tenantExt}/${p.external_id}`];
      expect(key?.list_calls, p.external_id).toBeGreaterThan(0);
      expect(key?.max_concurrent).toBe(1);
    }
    const rows = await h.sql<{ policy_id: string; assignments: Array<{ id: string }> }>(
      'SELECT policy_id, assignments FROM assignment_snapshots WHERE run_id = $1',
      [fetch.run.id],
    );
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      const ext = policies.find((p) => p.id === row.policy_id)!.external_id;
      expect(row.assignments.map((a) => a.id)).toEqual(h.graph.truth(tenantExt, ext).map((a) => a.id));
    }

    const restore = await h.dispatch('assignments.restore', 0);
    const restored = await h.waitCompleted(restore.run.id);
    expect(restored).toMatchObject({ outcome: 'succeeded', summary_counts: { total: 3, processed: 3, failed: 0 } });
    for (const p of policies) expect(h.graph.probe().by_key[`${tenantExt}/${p.external_id}`]?.assign_calls).toBe(1);
  });

  it('a policy that fails permanently → partially_succeeded with one sanitized failure entry; the rest processed', async () => {
    const policies = await h.policies(1);
    h.graph.setFaults({ failPolicies: { [policies[1]!.external_id]: 404 } });
    try {
      const { run } = await h.dispatch('assignments.fetch', 1);
      const done = await h.waitCompleted(run.id);
      expect(done).toMatchObject({
        outcome: 'partially_succeeded',
        summary_counts: { total: 3, processed: 2, failed: 1 },
        failure_summary: [{ code: 'graph.not_found', count: 1 }],
      });
      expect(done.failure_summary[0]!.message.length).toBeLessThanOrEqual(500);
    } finally {
      h.graph.setFaults({});
    }
  });

  it('429 with Retry-After is honoured and the item counts as processed once it succeeds', async () => {
    const policies = await h.policies(2);
    const tenantExt = h.seed.tenants[2]!.external_id;
    const throttled = policies[0]!.external_id;
    h.graph.setFaults({ throttle: { policies: [throttled], count: 1, retryAfterSeconds: 1 } });
    try {
      const { run } = await h.dispatch('assignments.fetch', 2);
      const done = await h.waitCompleted(run.id);
      expect(done).toMatchObject({ outcome: 'succeeded', attempt: 1, summary_counts: { total: 3, processed: 3, failed: 0 } });
      const key = h.graph.probe().by_key[`${tenantExt}/${throttled}`]!;
      expect(key.status_counts['429']).toBe(1);
      expect(key.status_counts['200']).toBeGreaterThan(0);
    } finally {
      h.graph.setFaults({});
    }
  });

  it("attempt 1 fails transiently after processing some items, attempt 2 succeeds: counters are attempt 2's only (FR-003)", async () => {
    const policies = await h.policies(0);
    // the third policy is unavailable for two calls: attempt 1's request and its one retry
    h.graph.setFaults({ unavailable: { policies: [policies[2]!.external_id], count: 2 } });
    try {
      const { run } = await h.dispatch(
        'assignments.fetch',
        0,
        policies.map((p) => p.id),
      );
      const done = await h.waitCompleted(run.id);
      expect(done).toMatchObject({
        outcome: 'succeeded',
        attempt: 2,
        summary_counts: { total: 3, processed: 3, failed: 0 },
        failure_summary: [],
      });
      // attempt 1 did report progress (2 processed) before failing — and none of it was added
      const events = (await h.ledgerMessages()).filter((m) => m.includes(run.id));
      expect(events.some((m) => m.includes('"attempt":1') && m.includes('"processed":2'))).toBe(true);
    } finally {
      h.graph.setFaults({});
    }
  });

  it("a Graph outage through every attempt ends the run failed with the final attempt's counters", async () => {
    const policies = await h.policies(1);
    h.graph.setFaults({ unavailable: { policies: [policies[0]!.external_id], count: 1_000 } });
    try {
      const { run } = await h.dispatch('assignments.fetch', 1, [policies[0]!.id]);
      const done = await h.waitCompleted(run.id, 40_000);
      expect(done).toMatchObject({
        outcome: 'failed',
        summary_counts: { total: 1, processed: 0, failed: 1 },
        failure_summary: [{ code: 'graph.unavailable' }],
      });
      expect(done.attempt).toBe(3);
    } finally {
      h.graph.setFaults({});
    }
  });
});
