import { Kvm } from '@nats-io/kv';
import { type LedgerEventV1, leaseKey, type RunLeaseV1, type RunV1 } from '@ops/contracts';
import { createLease, readLease } from '@ops/nats';
import { insertRun, publishJobByHand, useWorkerStack } from '@ops/test-support';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The lean run path (issue #18): a run that ends before its first heartbeat
 * publishes one event — `completed`, saying when it started — and writes its
 * lease twice: when taken, and the completion marker, which records what the
 * completed event says and is written BEFORE it (the last fence). A worker
 * that dies between the marker and the event leaves the marker: the job's
 * redelivery publishes the event from it and executes nothing again.
 */
const h = useWorkerStack({ tenants: 2, policiesPerTenant: 3 });
beforeAll(async () => {
  // the first heartbeat comes 1 s after the start: a short run ends before it even on a loaded
  // machine (at 300 ms it did not always, and published started too); the slow run takes seconds
  await h.startWorker({
    WORKER_HEARTBEAT_MS: '1000',
    WORKER_LEASE_FENCE_MS: '2500',
    WORKER_LEASE_STALE_MS: '5000',
    WORKER_LEASE_RENEW_TIMEOUT_MS: '800',
  });
});

/** the run's events in OPS_LEDGER, in stream order (lines: `<subject> <headers JSON> <data>`) */
async function eventsOf(run: RunV1): Promise<LedgerEventV1[]> {
  const eventPrefix = h.names.ledgerEventSubject('started').replace(/started$/, '');
  return (await h.ledgerMessages())
    .map((line) => line.split(' '))
    .filter(([subject]) => subject!.startsWith(eventPrefix))
    .map((parts) => JSON.parse(parts.slice(2).join(' ')) as LedgerEventV1)
    .filter((e) => e.run_id === run.id);
}

/** get_run requests the ledger answered so far (its own counter) */
async function getRunCalls(): Promise<number> {
  const text = await h.service.registry.metrics();
  return Number(/^ops_ledger_api_requests_total\{endpoint="get_run",result="ok"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

describe('the lean run path', () => {
  it('a short run publishes only its completed event, which says when it started; its lease ends as the completion marker', async () => {
    const [p0] = await h.policies(0);
    const getRunsBefore = await getRunCalls();
    const { run } = await h.dispatch('assignments.fetch', 0, [p0!.id]);
    const done = await h.waitCompleted(run.id);
    // the ledger published the job from the committed row and it was delivered once: no get_run
    expect(await getRunCalls()).toBe(getRunsBefore);
    expect(done).toMatchObject({ outcome: 'succeeded', attempt: 1, summary_counts: { total: 1, processed: 1, failed: 0 } });
    const events = await eventsOf(run);
    expect(events.map((e) => e.kind)).toEqual(['completed']);
    const completed = events[0] as Extract<LedgerEventV1, { kind: 'completed' }>;
    expect(completed.started_at).toBeDefined();
    expect(done.started_at).toBe(completed.started_at);
    // the marker records exactly what the event said
    const kv = await new Kvm(h.nc).open(h.names.kv.locks);
    const lease = await readLease(kv, leaseKey('assignments.fetch', run.run_identity_hash));
    expect(lease.status).toBe('present');
    const marker = (lease as { value: RunLeaseV1 }).value;
    expect(marker).toMatchObject({ state: 'completed', attempt: 1, run_id: run.id });
    expect(marker.result).toEqual({
      outcome: completed.outcome,
      counts: completed.counts,
      failures: completed.failures,
      seq: completed.seq,
      at: completed.at,
      started_at: completed.started_at,
    });
  });

  it('a run still running at its first heartbeat publishes started', async () => {
    const [p1] = await h.policies(1);
    h.graph.setFaults({ latencyMs: 2_500 });
    try {
      const { run } = await h.dispatch('assignments.fetch', 1, [p1!.id]);
      await h.waitCompleted(run.id);
      expect((await eventsOf(run)).map((e) => e.kind)).toEqual(['started', 'completed']);
    } finally {
      h.graph.setFaults({});
    }
  });

  it("a marker whose completed event was never stored: the job's redelivery publishes it from the marker and executes nothing", async () => {
    const [, p1] = await h.policies(0);
    // the run exists and is queued; its executor "died" right after writing the marker
    const run = await insertRun(h, { policyIds: [p1!.id] });
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
      result: {
        outcome: 'partially_succeeded',
        counts: { total: 1, processed: 0, failed: 1 },
        failures: [{ code: 'graph.not_found', message: 'policy gone', count: 1 }],
        seq: 1,
        at,
        started_at: at,
      },
    };
    const kv = await new Kvm(h.nc).open(h.names.kv.locks);
    expect(await createLease(kv, leaseKey('assignments.fetch', run.run_identity_hash), marker)).not.toBeNull();
    const callsBefore = h.graph.probe().total_calls;

    // a redelivery (not a fresh job): the worker reads the run, finds the marker
    await publishJobByHand(h.js, h.names.jobSubject('assignments.fetch'), run);
    const done = await h.waitCompleted(run.id);
    // the marker's completion, not a new execution's
    expect(done).toMatchObject({
      outcome: 'partially_succeeded',
      attempt: 1,
      summary_counts: { total: 1, processed: 0, failed: 1 },
      failure_summary: [{ code: 'graph.not_found', message: 'policy gone', count: 1 }],
    });
    expect(h.graph.probe().total_calls).toBe(callsBefore);
    expect((await eventsOf(run)).map((e) => `${e.kind} ${e.attempt}.${e.seq} ${e.owner}`)).toEqual(['completed 1.1 died-after-the-marker']);
  });
});
