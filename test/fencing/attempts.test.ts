import { jetstreamManager } from '@nats-io/jetstream';
import type { LedgerEventV1 } from '@ops/contracts';
import { type ServiceProcess, sleep, useWorkerStack } from '@ops/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { publishJobCopy, STALE_MS } from './support.ts';

/**
 * One attempt allocator (issue #14, scenario 2): attempts of a run strictly
 * increase across every job message and redelivery. A run reaches attempt 2,
 * its worker is killed with -9 mid-item, then a SECOND job message of the run
 * arrives (a re-publish past the duplicate window, or any copy): the new
 * execution must be attempt 3 or later — never a restarted "attempt 1" whose
 * events JetStream drops as duplicates of attempt 1's and the ledger ignores.
 */
const h = useWorkerStack({ tenants: 1, policiesPerTenant: 3 });
const processes: ServiceProcess[] = [];
afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
});

async function runEvents(runId: string): Promise<LedgerEventV1[]> {
  const jsm = await jetstreamManager(h.nc);
  const info = await jsm.streams.info(h.names.streams.ledger);
  const events: LedgerEventV1[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq += 1) {
    const m = await jsm.streams.getMessage(h.names.streams.ledger, { seq }).catch(() => null);
    const event = m?.json<LedgerEventV1>();
    if (event?.run_id === runId) events.push(event);
  }
  return events;
}

describe('attempt numbers across job messages', () => {
  it('attempt 2 killed with -9, then a second job message of the run: attempt ≥ 3, succeeded, final counters, no event dropped', async () => {
    // a long ack wait: the original message is not redelivered for a while, the copy comes first
    const first = await h.startWorkerProcess({ WORKER_CONCURRENCY: '1', WORKER_MAX_DELIVER: '5', WORKER_ACK_WAIT_MS: '60000' });
    processes.push(first);
    const [p0] = await h.policies(0);
    const tenantExt = h.seed.tenants[0]!.external_id;
    // attempt 1 fails transiently on its first item (503 through the Graph client's one retry)
    h.graph.setFaults({ unavailable: { policies: [p0!.external_id], count: 2 } });
    const { run } = await h.dispatch('assignments.fetch', 0);
    await expect
      .poll(() => h.graph.probe().by_key[`${tenantExt}/${p0!.external_id}`]?.status_counts['503'] ?? 0, { timeout: 15_000 })
      .toBe(2);
    // attempt 2 (the redelivery after the backoff) stalls on that item: killed there
    h.graph.setFaults({ stall: { policies: [p0!.external_id], count: 1, ms: 120_000 } });
    await expect.poll(async () => (await h.getRun(run.id)).attempt, { timeout: 15_000, interval: 100 }).toBe(2);
    await expect.poll(() => h.graph.probe().by_key[`${tenantExt}/${p0!.external_id}`]?.in_flight ?? 0, { timeout: 10_000 }).toBe(1);
    await first.stop('SIGKILL');
    // past the stale time: the copy's worker may take the dead attempt's lease over at once
    await sleep(STALE_MS + 500);

    await publishJobCopy(h, await h.getRun(run.id), 'attempts');
    processes.push(await h.startWorkerProcess({ WORKER_CONCURRENCY: '2', WORKER_MAX_DELIVER: '5' }));

    const done = await h.waitCompleted(run.id, 60_000);
    expect(done.attempt).toBeGreaterThanOrEqual(3);
    expect(done).toMatchObject({ outcome: 'succeeded', summary_counts: { total: 3, processed: 3, failed: 0 } });
    // the final attempt's events are all in OPS_LEDGER: started (seq 0) … completed, in order, none dropped as a duplicate
    const finalEvents = (await runEvents(run.id)).filter((e) => e.attempt === done.attempt);
    expect(finalEvents.map((e) => e.kind)).toEqual(['started', 'progress', 'progress', 'completed']);
    expect(finalEvents.map((e) => e.seq)).toEqual([0, 1, 2, 3]);
    // and no two executions ever shared an attempt number
    const starts = (await runEvents(run.id)).filter((e) => e.kind === 'started');
    expect(new Set(starts.map((e) => e.attempt)).size).toBe(starts.length);
  }, 120_000);
});
