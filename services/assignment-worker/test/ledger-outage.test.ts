import { jetstreamManager } from '@nats-io/jetstream';
import { encodeJson, errorReplyBody, OpsError } from '@ops/contracts';
import { insertRun, publishJobByHand, sleep, useWorkerStack } from '@ops/test-support';
import { describe, expect, it } from 'vitest';

/**
 * The ledger-service is down while a worker holds a job — for longer than
 * the whole attempt budget would last if every failed get_run were a nak
 * (2 attempts × 5 s). JetStream must not drop the job: the worker holds it
 * and asks again, and the run completes as attempt 1 once the ledger is back
 * (docs/reliability.md, finding 1).
 */
const h = useWorkerStack({ tenants: 1, policiesPerTenant: 2 });

describe('ledger-service outage while a job is held', () => {
  it("a fresh job (the ledger's own, first delivery) needs no ledger at all: it runs during the outage, its events wait in OPS_LEDGER", async () => {
    // its own identity (policy 1): the other tests' runs use policy 0 and every policy
    const [, p1] = await h.policies(0);
    const { run } = await h.dispatch('assignments.fetch', 0, [p1!.id]);
    await h.service.stopIntake();
    await h.service.close();
    const worker = await h.startWorker();
    const jsm = await jetstreamManager(h.nc);
    // executed and acked while the ledger is down: its completion is stored, not applied
    await expect
      .poll(
        async () =>
          (await jsm.consumers.info(h.names.streams.jobs, h.names.consumers.assignmentWorker)).num_pending +
          (await jsm.consumers.info(h.names.streams.jobs, h.names.consumers.assignmentWorker)).num_ack_pending,
        { timeout: 20_000 },
      )
      .toBe(0);
    expect((await jsm.consumers.info(h.names.streams.ledger, h.names.consumers.ledgerEvents)).num_pending).toBeGreaterThan(0);
    h.service = await h.startService();
    expect(await h.waitCompleted(run.id, 30_000)).toMatchObject({ outcome: 'succeeded', attempt: 1 });
    await worker.stopIntake();
  }, 60_000);

  it('spends no delivery: the run completes as attempt 1 after the ledger returns', async () => {
    // the run exists and a job of it is in OPS_JOBS — not the ledger's fresh one (that one needs no get_run):
    // one the worker must read the run for; no worker has seen it yet
    const run = await insertRun(h);
    await publishJobByHand(h.js, h.names.jobSubject('assignments.fetch'), run);
    await h.service.stopIntake();
    await h.service.close();
    const worker = await h.startWorker({ WORKER_MAX_DELIVER: '2' });
    await sleep(12_000);

    const jsm = await jetstreamManager(h.nc);
    const consumer = await jsm.consumers.info(h.names.streams.jobs, h.names.consumers.assignmentWorker);
    expect(consumer.config.max_deliver).toBe(-1);
    expect(consumer.num_ack_pending).toBe(1); // held by the worker, not nak-ed
    expect(consumer.num_redelivered).toBe(0);
    const metrics = await (await fetch(`http://127.0.0.1:${worker.http.port}/metrics`)).text();
    expect(metrics).toMatch(/^ops_worker_ledger_retries_total(\{[^}]*\})? [1-9]\d*$/m);

    h.service = await h.startService();
    const done = await h.waitCompleted(run.id, 30_000);
    expect(done).toMatchObject({ outcome: 'succeeded', attempt: 1, summary_counts: { total: 2, processed: 2, failed: 0 } });
    await worker.stopIntake(); // the next test starts its own after the ledger is down
  }, 60_000);

  it('an error the ledger answers (internal) is not waited out in place: the job is handed back and runs on a later delivery', async () => {
    const run = await insertRun(h, { policyIds: [(await h.policies(0))[0]!.id] });
    await publishJobByHand(h.js, h.names.jobSubject('assignments.fetch'), run);
    await h.service.stopIntake();
    await h.service.close();
    // a responder that answers get_run with an internal error, twice
    let answered = 0;
    const sub = h.nc.subscribe(h.names.ledgerApiSubject('get_run'), {
      callback: (_err, msg) => {
        answered += 1;
        msg.respond(encodeJson(errorReplyBody(new OpsError('internal', 'unexpected internal error'))));
        if (answered >= 2) sub.unsubscribe();
      },
    });
    await h.startWorker({ WORKER_MAX_DELIVER: '2' });
    await expect.poll(() => answered, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    const jsm = await jetstreamManager(h.nc);
    await expect
      .poll(async () => (await jsm.consumers.info(h.names.streams.jobs, h.names.consumers.assignmentWorker)).num_redelivered, {
        timeout: 20_000,
      })
      .toBeGreaterThan(0);
    await expect.poll(() => sub.isClosed(), { timeout: 20_000 }).toBe(true);
    h.service = await h.startService();
    const done = await h.waitCompleted(run.id, 30_000);
    expect(done.outcome).toBe('succeeded');
    // handed back before any execution: the one execution that ran is attempt 1 (attempts count executions, not deliveries)
    expect(done.attempt).toBe(1);
    expect(answered).toBe(2);
  }, 90_000);
});
