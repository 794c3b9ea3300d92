import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { useLedgerHarness } from '@ops/test-support';
import { describe, expect, it } from 'vitest';

/**
 * republish_job (housekeeping's heal of a run queued too long) when the
 * original job is still in OPS_JOBS. Waiting in the backlog: nothing is
 * published (the same Nats-Msg-Id is a duplicate). Delivered and then lost by
 * the worker consumer — neither pending nor unacknowledged, yet still in the
 * work-queue stream, as a consumer leader change left 4 jobs in a cluster
 * partition run (issue #19, CI run at 87f2c82: 4 runs queued for good, every
 * re-publish answered "duplicate") — the job is published again and delivered.
 */
const h = useLedgerHarness();

async function queuedRun(tenant: number): Promise<string> {
  const reply = await h.client.ensureRun({
    workspace_id: h.seed.workspace.id,
    tenant_id: h.seed.tenants[tenant]!.id,
    type: 'assignments.fetch',
    inputs: { policy_ids: [] },
    initiator: { name: 'test' },
  });
  expect(reply.disposition).toBe('created');
  return reply.run.id;
}

describe('republish_job with the original job still in OPS_JOBS', () => {
  it('publishes nothing while the job waits in the backlog, and publishes it again once its delivery was lost', async () => {
    const jsm = await jetstreamManager(h.nc);
    // the worker's durable as the worker creates it, but delivering each job once: once its ack
    // wait (1 s) lapses, the job is in the stream, delivered, neither pending nor unacknowledged — lost
    await jsm.consumers.add(h.names.streams.jobs, {
      durable_name: h.names.consumers.assignmentWorker,
      filter_subject: h.names.jobSubject('assignments.>'),
      ack_policy: AckPolicy.Explicit,
      ack_wait: 1e9,
      max_deliver: 1,
    });
    const lost = await queuedRun(0);
    const consumer = await jetstream(h.nc).consumers.get(h.names.streams.jobs, h.names.consumers.assignmentWorker);
    const delivered = await consumer.next({ expires: 5_000 });
    expect(delivered?.json<{ run_id: string }>().run_id).toBe(lost);
    const lostSeq = delivered!.info.streamSequence;
    await expect
      .poll(
        async () => {
          const info = await jsm.consumers.info(h.names.streams.jobs, h.names.consumers.assignmentWorker);
          return `${info.num_pending} pending, ${info.num_ack_pending} unacknowledged`;
        },
        { timeout: 10_000 },
      )
      .toBe('0 pending, 0 unacknowledged');
    expect((await jsm.streams.info(h.names.streams.jobs)).state.messages).toBe(1);

    // a second run: its job waits, not delivered yet
    const waiting = await queuedRun(1);
    expect((await h.client.republishJob({ workspace_id: h.seed.workspace.id, run_id: waiting })).result).toBe('duplicate');
    expect((await jsm.streams.info(h.names.streams.jobs)).state.messages).toBe(2);

    // the lost one is published again (and the lost original deleted), and the consumer delivers it
    const again = await h.client.republishJob({ workspace_id: h.seed.workspace.id, run_id: lost });
    expect(again.result).toBe('published');
    expect((await jsm.streams.info(h.names.streams.jobs)).state.messages).toBe(2);
    expect(await jsm.streams.getMessage(h.names.streams.jobs, { seq: lostSeq })).toBeNull();
    const ids: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const m = await consumer.next({ expires: 5_000 });
      if (m) {
        ids.push(m.json<{ run_id: string }>().run_id);
        m.ack();
      }
    }
    expect(ids.sort()).toEqual([lost, waiting].sort());
  });
});
