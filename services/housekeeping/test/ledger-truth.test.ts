import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { nanos } from '@nats-io/nats-core';
import { leaseKey, type RunV1 } from '@ops/contracts';
import { readLease } from '@ops/nats';
import { useHousekeepingStack } from '@ops/test-support';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

/**
 * The ledger's last word is the real one (issue #15). The ledger keeps
 * answering its API but cannot apply events — its role may no longer UPDATE
 * the columns events write — for longer than the locks TTL (3 s here): the
 * worker finishes, its completion sits in OPS_LEDGER, its completion marker
 * expires. Housekeeping must neither close that run `run.stale` (which would
 * win once the ledger applies again) nor publish its job again (which would
 * execute it twice); and a run whose retry is pending is not healed either.
 */
const h = useHousekeepingStack({ tenants: 4, policiesPerTenant: 3, ledgerEnv: { LOCKS_TTL_SECONDS: '3' } });

async function stallEventApplication(): Promise<void> {
  // what ensure_run and record_duplicate need stays: the API answers, events fail to apply
  await h.sql('REVOKE UPDATE ON operation_runs FROM ops_ledger');
  await h.sql('GRANT UPDATE (dedupe_hits, updated_at) ON operation_runs TO ops_ledger');
}
async function resumeEventApplication(): Promise<void> {
  await h.sql('GRANT UPDATE ON operation_runs TO ops_ledger');
}
afterEach(resumeEventApplication);

async function leaseOf(run: RunV1) {
  const kv = await new Kvm(h.nc).open(h.names.kv.locks);
  return readLease(kv, leaseKey(run.type, run.run_identity_hash));
}
async function trigger(): Promise<{ run_id: string | null; disposition: string }> {
  const reply = await h.nc.request(h.names.housekeepingRunSubject, JSON.stringify({ workspace_id: h.seed.workspace.id }), {
    timeout: 30_000,
  });
  return reply.json();
}
/** the ledger has applied everything in OPS_LEDGER (a heal published meanwhile included) */
async function settled(): Promise<void> {
  const jsm = await jetstreamManager(h.nc);
  const last = (await jsm.streams.info(h.names.streams.ledger)).state.last_seq;
  await expect
    .poll(async () => (await jsm.consumers.info(h.names.streams.ledger, h.names.consumers.ledgerEvents)).ack_floor.stream_seq, {
      timeout: 20_000,
    })
    .toBeGreaterThanOrEqual(last);
}
/** one fetch's Graph calls for the tenant's policies: pages of 2 (the fake's page size) */
async function listCallsPerPolicy(tenant: number): Promise<Array<{ calls: number; expected: number }>> {
  const tenantExt = h.seed.tenants[tenant]!.external_id;
  return (await h.policies(tenant)).map((p) => ({
    calls: h.graph.probe().by_key[`${tenantExt}/${p.external_id}`]?.list_calls ?? 0,
    expected: Math.max(1, Math.ceil(h.graph.truth(tenantExt, p.external_id).length / 2)),
  }));
}

beforeAll(async () => {
  await h.startWorker();
  await h.startHousekeeping();
  // a short duplicate window: a re-published job would be executed again within the test
  const jsm = await jetstreamManager(h.nc);
  const jobs = await jsm.streams.info(h.names.streams.jobs);
  await jsm.streams.update(h.names.streams.jobs, { ...jobs.config, duplicate_window: nanos(1_000) });
});

describe('a completion stored in OPS_LEDGER but not applied', () => {
  it('running, its completion marker expired: housekeeping does not close it run.stale — the real completion stands', async () => {
    h.graph.reset();
    h.graph.setFaults({ latencyMs: 300 });
    const { run } = await h.dispatch('assignments.fetch', 0);
    await expect.poll(async () => (await h.getRun(run.id)).status, { timeout: 15_000, interval: 50 }).toBe('running');
    await stallEventApplication();
    await expect
      .poll(async () => (await leaseOf(run)).status === 'present' && (await leaseOf(run)), { timeout: 20_000 })
      .toMatchObject({
        value: { state: 'completed' },
      });
    await expect.poll(async () => (await leaseOf(run)).status, { timeout: 20_000 }).toBe('absent');
    expect((await h.getRun(run.id)).status).toBe('running');

    expect((await trigger()).disposition).toBe('created');
    await resumeEventApplication();
    await settled();
    expect(await h.getRun(run.id)).toMatchObject({
      status: 'completed',
      outcome: 'succeeded',
      summary_counts: { total: 3, processed: 3, failed: 0 },
      failure_summary: [],
    });
  }, 90_000);

  it('queued, its completion marker expired: housekeeping does not publish its job again — it is executed once', async () => {
    h.graph.reset();
    await stallEventApplication();
    const { run } = await h.dispatch('assignments.fetch', 1);
    await expect
      .poll(async () => (await leaseOf(run)).status === 'present' && (await leaseOf(run)), { timeout: 20_000 })
      .toMatchObject({
        value: { state: 'completed' },
      });
    await expect.poll(async () => (await leaseOf(run)).status, { timeout: 20_000 }).toBe('absent');
    expect((await h.getRun(run.id)).status).toBe('queued');

    expect((await trigger()).disposition).toBe('created');
    // a re-published job would be executing now
    await new Promise((r) => setTimeout(r, 2_000));
    await resumeEventApplication();
    await settled();
    expect(await h.getRun(run.id)).toMatchObject({ outcome: 'succeeded', summary_counts: { total: 3, processed: 3, failed: 0 } });
    for (const p of await listCallsPerPolicy(1)) expect(p.calls).toBe(p.expected);
  }, 90_000);
});

describe('a copy of the job of a run whose completion is stored, not applied, its marker expired', () => {
  it('reaches a worker: it waits for the ledger instead of executing the run again', async () => {
    h.graph.reset();
    h.graph.setFaults({ latencyMs: 300 });
    const { run } = await h.dispatch('assignments.fetch', 3);
    await expect.poll(async () => (await h.getRun(run.id)).status, { timeout: 15_000, interval: 50 }).toBe('running');
    await stallEventApplication();
    await expect
      .poll(async () => (await leaseOf(run)).status === 'present' && (await leaseOf(run)), { timeout: 20_000 })
      .toMatchObject({
        value: { state: 'completed' },
      });
    await expect.poll(async () => (await leaseOf(run)).status, { timeout: 20_000 }).toBe('absent');
    const callsBefore = h.graph.probe().total_calls;
    // a second job message of the run (a re-publish past the duplicate window, or any copy)
    const job = { v: 1, run_id: run.id, workspace_id: run.workspace_id, tenant_id: run.tenant_id, type: run.type };
    await h.js.publish(
      h.names.jobSubject('assignments.fetch'),
      JSON.stringify({
        ...job,
        run_identity_hash: run.run_identity_hash,
        inputs: run.context['inputs'],
        dispatched_at: new Date().toISOString(),
      }),
      { msgID: `${run.id}.copy` },
    );
    await new Promise((r) => setTimeout(r, 3_000));
    expect(h.graph.probe().total_calls).toBe(callsBefore);
    await resumeEventApplication();
    await settled();
    expect(await h.getRun(run.id)).toMatchObject({ status: 'completed', outcome: 'succeeded', attempt: 1 });
    // and the copy, seen again once the ledger caught up, is acknowledged as the duplicate it is
    await expect.poll(async () => (await h.getRun(run.id)).dedupe_hits, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    expect(h.graph.probe().total_calls).toBe(callsBefore);
  }, 90_000);
});

describe('a retry is not healed', () => {
  it('between two attempts (its lease retrying, the run quiet past the grace) housekeeping leaves it; the retry completes it', async () => {
    h.graph.reset();
    const [p0] = await h.policies(2);
    // attempts 1–3 fail on the first item (503 through the client's one retry); back-offs 1, 2, 4 s
    h.graph.setFaults({ unavailable: { policies: [p0!.external_id], count: 6 } });
    const { run } = await h.dispatch('assignments.fetch', 2);
    await expect
      .poll(
        async () => {
          const lease = await leaseOf(run);
          return lease.status === 'present' && lease.value.kind === 'run' ? `${lease.value.state} ${lease.value.attempt}` : lease.status;
        },
        { timeout: 30_000, interval: 50 },
      )
      .toBe('retrying 3');
    // quiet past the grace (1 s), inside the 4 s back-off
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await trigger()).disposition).toBe('created');
    const done = await h.waitCompleted(run.id, 30_000);
    expect(done).toMatchObject({ outcome: 'succeeded', attempt: 4, summary_counts: { total: 3, processed: 3, failed: 0 } });
  }, 90_000);
});
