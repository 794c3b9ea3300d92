import { leaseKey } from '@ops/contracts';
import { createLedgerAdminClient } from '@ops/ledger-client';
import { openLocksBucket, readLease } from '@ops/nats';
import { consumerDrained, insertRun, publishJobByHand, sleep, useWorkerStack } from '@ops/test-support';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The operator actions with a real worker (issue #21): a cancel fences a
 * running attempt — its next lease renewal fails, and it makes no further
 * Graph call and publishes no further event; a delivery of a cancelled run is
 * acknowledged without executing; a forced re-run replaces the completion
 * marker instead of being skipped for the cooldown.
 */
const h = useWorkerStack({ tenants: 3, policiesPerTenant: 4 });
const who = { actor: 'oncall@example.test', reason: 'worker-level test of the operator actions' };
const admin = () => createLedgerAdminClient(h.nc, h.names);

beforeAll(async () => {
  await h.startWorker();
});

/** Graph calls of one tenant so far (the probe keys are `<tenant external id>/<policy external id>`) */
function callsOf(externalIds: readonly string[]): number {
  const probe = h.graph.probe();
  return Object.entries(probe.by_key)
    .filter(([key]) => externalIds.some((p) => key.endsWith(`/${p}`)))
    .reduce((sum, [, k]) => sum + k.calls, 0);
}

async function attemptEvents(runId: string): Promise<Array<{ kind: string; attempt: number }>> {
  const prefix = h.names.ledgerEventSubject('started').replace(/started$/, '');
  return (await h.ledgerMessages())
    .map((line) => line.split(' '))
    .filter(([subject]) => subject!.startsWith(prefix))
    .map((parts) => JSON.parse(parts.slice(2).join(' ')) as { run_id: string; kind: string; attempt: number })
    .filter((e) => e.run_id === runId)
    .map(({ kind, attempt }) => ({ kind, attempt }));
}

describe('cancel with a real worker', () => {
  it('cancels a running run: the worker is fenced — no Graph call, event or ack after the cancel — and its delivery is acked later', async () => {
    const policies = await h.policies(0);
    h.graph.setFaults({ latencyMs: 700 });
    try {
      const { run } = await h.dispatch('assignments.fetch', 0, []);
      await expect.poll(async () => (await h.getRun(run.id)).status, { timeout: 15_000 }).toBe('running');
      await expect
        .poll(async () => (await h.getRun(run.id)).summary_counts['processed'] ?? 0, { timeout: 15_000 })
        .toBeGreaterThanOrEqual(1);

      const reply = await admin().cancelRun({ workspace_id: h.seed.workspace.id, run_id: run.id, ...who });
      expect(reply.previous_status).toBe('running');
      expect(reply.run).toMatchObject({ status: 'completed', outcome: 'cancelled', attempt: 2 });
      const calls = callsOf(policies.map((p) => p.external_id));
      const events = await attemptEvents(run.id);
      // the holder learns at its next renewal (300 ms heartbeat): at most the call in flight ends
      await sleep(2_500);
      expect(callsOf(policies.map((p) => p.external_id))).toBeLessThanOrEqual(calls + 1);
      expect(await attemptEvents(run.id)).toEqual(events);
      expect(events.some((e) => e.kind === 'completed')).toBe(false);
      const after = await h.getRun(run.id);
      expect(after).toMatchObject({ outcome: 'cancelled', summary_counts: reply.run.summary_counts });
      expect(after.summary_counts['processed']).toBeLessThan(policies.length);
      expect(h.workerLogLines.some((l) => l.includes(run.id) && /lost|fenc|abort/i.test(l))).toBe(true);
      // the message was left to its redelivery, which finds the cancelled marker and acks it
      await consumerDrained(h.nc, h.names.streams.jobs, h.names.consumers.assignmentWorker, { timeoutMs: 20_000, intervalMs: 250 });
      expect(callsOf(policies.map((p) => p.external_id))).toBeLessThanOrEqual(calls + 1);
      expect((await h.getRun(run.id)).outcome).toBe('cancelled');
      // nothing the fenced worker did was refused as bad input
      const dlq = (await h.ledgerMessages()).filter((l) => l.startsWith(h.names.dlqSubject('ledger').replace(/ledger$/, '')));
      expect(dlq).toEqual([]);
    } finally {
      h.graph.setFaults({});
    }
  });

  it('acks a job of a cancelled queued run without executing it', async () => {
    const policies = await h.policies(1);
    const run = await insertRun(h, { tenant: 1 });
    const reply = await admin().cancelRun({ workspace_id: h.seed.workspace.id, run_id: run.id, ...who });
    expect(reply).toMatchObject({ previous_status: 'queued', job_removed: false });
    const kv = await openLocksBucket(h.nc, h.names);
    const marker = await readLease(kv, leaseKey('assignments.fetch', run.run_identity_hash));
    expect(marker.status === 'present' && marker.value.state).toBe('cancelled');
    // a copy of its job still arrives (one the ledger could not delete): never executed
    await publishJobByHand(h.js, h.names.jobSubject('assignments.fetch'), run);
    await expect.poll(async () => (await h.getRun(run.id)).dedupe_hits, { timeout: 15_000 }).toBe(1);
    expect(callsOf(policies.map((p) => p.external_id))).toBe(0);
    expect(await h.getRun(run.id)).toMatchObject({ outcome: 'cancelled', attempt: 1 });
  });
});

describe('rerun with a real worker', () => {
  it('a re-run inside the cooldown is refused without --force; with it, the new run replaces the completion marker and executes', async () => {
    const policies = await h.policies(2);
    const { run } = await h.dispatch('assignments.fetch', 2, [policies[0]!.id]);
    expect(await h.waitCompleted(run.id)).toMatchObject({ outcome: 'succeeded' });
    const kv = await openLocksBucket(h.nc, h.names);
    const key = leaseKey('assignments.fetch', run.run_identity_hash);
    const before = await readLease(kv, key);
    expect(before.status === 'present' && before.value).toMatchObject({ state: 'completed', run_id: run.id });

    expect(await admin().rerunRun({ workspace_id: h.seed.workspace.id, run_id: run.id, ...who })).toMatchObject({
      disposition: 'cooldown',
    });
    const forced = await admin().rerunRun({ workspace_id: h.seed.workspace.id, run_id: run.id, force: true, ...who });
    expect(forced).toMatchObject({ disposition: 'created', forced: true });
    const done = await h.waitCompleted(forced.run.id);
    // executed, not skipped for the cooldown
    expect(done).toMatchObject({ outcome: 'succeeded', summary_counts: { total: 1, processed: 1, failed: 0 }, failure_summary: [] });
    const after = await readLease(kv, key);
    expect(after.status === 'present' && after.value).toMatchObject({ state: 'completed', run_id: forced.run.id });
  });
});
