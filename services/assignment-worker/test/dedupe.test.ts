import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { consumerDrained, publishJobByHand, sleep, useWorkerStack } from '@ops/test-support';
import { describe, expect, it } from 'vitest';

/**
 * User story 2: duplicates never overlap (SC-002) — at dispatch (the ledger)
 * and at execution (the lease in KV), with the cooldown after completion.
 * Three worker PROCESSES compete for the jobs.
 */
const h = useWorkerStack({ tenants: 3, policiesPerTenant: 3, ledgerEnv: { LOCKS_TTL_SECONDS: '3' } });

async function quiet(): Promise<void> {
  await consumerDrained(h.nc, h.names.streams.jobs, h.names.consumers.assignmentWorker, { timeoutMs: 20_000 });
}

describe('one execution per identity', () => {
  it('20 concurrent dispatches with 3 worker processes: one run, one execution, 19 dedupe_hits', async () => {
    h.graph.setFaults({ latencyMs: 150 });
    // roomier lease timings than the crash tests: on a loaded CI machine a starved
    // process may otherwise lose its lease to a peer (correctly, but then the
    // identity runs twice in sequence and "one execution" is not what we measure)
    const timings = {
      WORKER_ACK_WAIT_MS: '15000',
      WORKER_HEARTBEAT_MS: '500',
      WORKER_LEASE_STALE_MS: '8000',
      WORKER_LEASE_FENCE_MS: '5000',
      WORKER_LEASE_RENEW_TIMEOUT_MS: '2000',
    };
    for (let i = 0; i < 3; i += 1) await h.startWorkerProcess(timings);
    const results = await Promise.all(Array.from({ length: 20 }, () => h.dispatch('assignments.fetch', 0)));
    expect(results.filter((r) => r.disposition === 'created')).toHaveLength(1);
    // the created run's job is published; a dispatch that found it still queued publishes it again
    // (a retried dispatch), and JetStream drops those copies — what counts is one execution, below
    expect(results.filter((r) => r.published && r.disposition === 'created')).toHaveLength(1);
    const runId = results.find((r) => r.disposition === 'created')!.run.id;
    expect(new Set(results.map((r) => r.run.id))).toEqual(new Set([runId]));
    const done = await h.waitCompleted(runId);
    expect(done).toMatchObject({
      outcome: 'succeeded',
      attempt: 1,
      dedupe_hits: 19,
      summary_counts: { total: 3, processed: 3, failed: 0 },
    });
    const tenantExt = h.seed.tenants[0]!.external_id;
    for (const p of await h.policies(0)) {
      const key = h.graph.probe().by_key[`${tenantExt}/${p.external_id}`]!;
      expect(key.max_concurrent).toBe(1);
      // one execution: each policy's two pages were read exactly once
      expect(key.list_calls).toBe(Math.ceil(h.graph.truth(tenantExt, p.external_id).length / 2));
    }
    h.graph.setFaults({});
  });

  it('a duplicate job message of a running run is acked and counted, never executed', async () => {
    h.graph.setFaults({ latencyMs: 300 });
    const { run } = await h.dispatch('assignments.fetch', 1);
    await expect.poll(async () => (await h.getRun(run.id)).status, { timeout: 10_000 }).toBe('running');
    // the same job again, past JetStream's own dedupe (another msg id): as a buggy producer would
    const jsm = await jetstreamManager(h.nc);
    await h.js.publish(
      h.names.jobSubject('assignments.fetch'),
      (await jsm.streams.getMessage(h.names.streams.jobs, { last_by_subj: h.names.jobSubject('assignments.fetch') }))!.data,
      { msgID: `${run.id}-again` },
    );
    const done = await h.waitCompleted(run.id);
    expect(done).toMatchObject({ outcome: 'succeeded', attempt: 1, dedupe_hits: 1 });
    const tenantExt = h.seed.tenants[1]!.external_id;
    for (const p of await h.policies(1)) expect(h.graph.probe().by_key[`${tenantExt}/${p.external_id}`]!.max_concurrent).toBe(1);
    await quiet();
    h.graph.setFaults({});
  });

  it('within the cooldown a re-dispatch says cooldown and nothing executes; after it, the identity runs again', async () => {
    const first = await h.dispatch('assignments.fetch', 2);
    const done = await h.waitCompleted(first.run.id);
    const calls = h.graph.probe().total_calls;
    const again = await h.dispatch('assignments.fetch', 2);
    expect(again).toMatchObject({ disposition: 'cooldown', published: false, run: { id: first.run.id } });
    await sleep(500);
    expect(h.graph.probe().total_calls).toBe(calls);

    // past the ledger's 15-minute cooldown (its clock) and the lease bucket's TTL (3 s here)
    h.clock.set(new Date(Date.parse(done.completed_at!) + (15 * 60 + 1) * 1000));
    await sleep(3_500);
    const later = await h.dispatch('assignments.fetch', 2);
    expect(later.disposition).toBe('created');
    expect(await h.waitCompleted(later.run.id)).toMatchObject({ outcome: 'succeeded' });
    expect(h.graph.probe().total_calls).toBeGreaterThan(calls);
    h.clock.set(new Date());
  });

  it("execution-time dedupe does not trust the writer: a job of a run created inside the identity's cooldown is skipped", async () => {
    const first = await h.dispatch('assignments.restore', 2);
    const done = await h.waitCompleted(first.run.id);
    // a run of the same identity that the ledger would never have created (a minute into the cooldown),
    // written behind its back, and its job published
    const rogueId = randomUUID();
    await h.sql(
      `INSERT INTO operation_runs (id, workspace_id, tenant_id, initiator_name, type, status, outcome, run_identity_hash, context, created_at, updated_at)
       SELECT $1, workspace_id, tenant_id, 'rogue', type, 'queued', 'pending', run_identity_hash, context,
              completed_at + interval '60 seconds', completed_at + interval '60 seconds'
         FROM operation_runs WHERE id = $2`,
      [rogueId, done.id],
    );
    const rogue = await h.getRun(rogueId);
    const calls = h.graph.probe().total_calls;
    await publishJobByHand(h.js, h.names.jobSubject(rogue.type), rogue);
    const skipped = await h.waitCompleted(rogueId);
    expect(skipped).toMatchObject({
      outcome: 'cancelled',
      failure_summary: [{ code: 'run.skipped_cooldown' }],
      summary_counts: { total: 0, processed: 0, failed: 0 },
    });
    expect(h.graph.probe().total_calls).toBe(calls);
  });
});
