import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers } from '@nats-io/nats-core';
import { HEADERS, isOpsError, leaseKey, type RunLeaseV1, type RunV1 } from '@ops/contracts';
import { attemptEvents, createLedgerAdminClient } from '@ops/ledger-client';
import { createLease, openLocksBucket, readLease, updateLease } from '@ops/nats';
import { insertRun, useLedgerHarness } from '@ops/test-support';
import { describe, expect, it } from 'vitest';

/**
 * The operator actions (issue #21) against a real ledger, PostgreSQL and
 * JetStream: cancel (queued: job removed + marker; running: the lease fenced;
 * the race with the worker's own completion both ways), rerun (cooldown,
 * --force, the overlap rule), dead-letter redrive and purge, lock release
 * (stale, alive, forced, cooldown marker), bad requests, and the audit rows.
 */
const h = useLedgerHarness({ LEDGER_LEASE_STALE_MS: '1500' }, { tenants: 6 });
const who = { actor: 'alice@example.test', reason: 'test of the operator actions' };
const admin = () => createLedgerAdminClient(h.nc, h.names, { timeoutMs: 15_000 });
const ws = () => h.seed.workspace.id;

async function created(tenant: number, type: RunV1['type'] = 'assignments.fetch'): Promise<RunV1> {
  const reply = await h.client.ensureRun({
    workspace_id: ws(),
    tenant_id: h.seed.tenants[tenant]!.id,
    type,
    inputs: { policy_ids: [] },
    initiator: { name: 'test' },
  });
  expect(reply.disposition).toBe('created');
  return reply.run;
}

const runningLease = (run: RunV1, attempt: number): RunLeaseV1 => ({
  kind: 'run',
  run_id: run.id,
  owner: 'worker-test',
  attempt,
  state: 'running',
  heartbeat_at: new Date().toISOString(),
  stream_seq: 1,
});

async function actionsOf(runId: string) {
  return h.sql<{ action: string; actor: string; reason: string; detail: Record<string, unknown> }>(
    'SELECT action, actor, reason, detail FROM run_actions WHERE run_id = $1 ORDER BY at',
    [runId],
  );
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isOpsError(err), String(err)).toBe(true);
  return err as { code: string; message: string };
}

describe('cancel_run', () => {
  it('cancels a queued run: its job is deleted, a cancelled marker written, the run closed run.cancelled and audited', async () => {
    const run = await created(0);
    const jsm = await jetstreamManager(h.nc);
    // the job sequence is recorded after the publish, off the request path
    await expect
      .poll(async () => (await h.sql<{ s: string | null }>('SELECT job_stream_seq AS s FROM operation_runs WHERE id = $1', [run.id]))[0]!.s)
      .not.toBeNull();
    const s = (await h.sql<{ s: string }>('SELECT job_stream_seq AS s FROM operation_runs WHERE id = $1', [run.id]))[0]!.s;
    expect((await jsm.streams.getMessage(h.names.streams.jobs, { seq: Number(s) }))?.json<{ run_id: string }>().run_id).toBe(run.id);

    const reply = await admin().cancelRun({ workspace_id: ws(), run_id: run.id, ...who });
    expect(reply.previous_status).toBe('queued');
    expect(reply.job_removed).toBe(true);
    expect(reply.run).toMatchObject({ status: 'completed', outcome: 'cancelled', attempt: 1 });
    expect(reply.run.failure_summary).toEqual([{ code: 'run.cancelled', message: `cancelled by ${who.actor}: ${who.reason}`, count: 1 }]);
    expect(reply.action).toMatchObject({ action: 'cancel', ...who, run_id: run.id, workspace_id: ws() });
    expect(await jsm.streams.getMessage(h.names.streams.jobs, { seq: Number(s) })).toBeNull();
    const lease = await readLease(await openLocksBucket(h.nc, h.names), leaseKey('assignments.fetch', run.run_identity_hash));
    expect(lease.status === 'present' && lease.value).toMatchObject({ run_id: run.id, state: 'cancelled', attempt: 1 });
    expect(await actionsOf(run.id)).toEqual([
      expect.objectContaining({
        action: 'cancel',
        ...who,
        detail: expect.objectContaining({ previous_status: 'queued', job_removed: true }),
      }),
    ]);
    // a cancelled run is no cooldown: the same job may be dispatched again at once
    const again = await h.client.ensureRun({
      workspace_id: ws(),
      tenant_id: h.seed.tenants[0]!.id,
      type: 'assignments.fetch',
      inputs: { policy_ids: [] },
      initiator: { name: 'test' },
    });
    expect(again.disposition).toBe('created');
  });

  it("fences a running run: its lease is CAS-replaced by the cancel (the holder's next renewal fails) and its later events change nothing", async () => {
    const run = await created(1);
    const kv = await openLocksBucket(h.nc, h.names);
    const key = leaseKey('assignments.fetch', run.run_identity_hash);
    const holderRevision = (await createLease(kv, key, runningLease(run, 1)))!;
    const events = attemptEvents(jetstream(h.nc), h.names, { runId: run.id, workspaceId: ws(), attempt: 1, owner: 'worker-test' });
    await events.started();
    await events.progress({ total: 10, processed: 4, failed: 1 });
    await expect
      .poll(async () => (await h.client.getRun({ workspace_id: ws(), run_id: run.id })).summary_counts)
      .toEqual({ total: 10, processed: 4, failed: 1 });

    const reply = await admin().cancelRun({ workspace_id: ws(), run_id: run.id, ...who });
    expect(reply.previous_status).toBe('running');
    // the last applied counters, and the attempt the cancel took on the lease
    expect(reply.run).toMatchObject({
      status: 'completed',
      outcome: 'cancelled',
      attempt: 2,
      summary_counts: { total: 10, processed: 4, failed: 1 },
    });
    // the holder's renewal at its revision fails: that is what stops it (the fencing abort path)
    expect(await updateLease(kv, key, { ...runningLease(run, 1), heartbeat_at: new Date().toISOString() }, holderRevision)).toBeNull();
    // a completion the fenced holder had in flight: ignored, the run stays cancelled
    await events.completed(events.completion('succeeded', { total: 10, processed: 10, failed: 0 }, [], new Date()));
    await sleep(500);
    expect(await h.client.getRun({ workspace_id: ws(), run_id: run.id })).toMatchObject({
      outcome: 'cancelled',
      summary_counts: { processed: 4 },
    });
    // on the run's timeline: the attempt, the cancel, and the refused completion — nothing dead-lettered
    await expect
      .poll(async () =>
        (await h.client.getRunTimeline({ workspace_id: ws(), run_id: run.id })).entries.map((e) =>
          `${e.kind} ${e.attempt ?? '-'} ${e.detail['ignored'] ?? e.detail['action'] ?? ''}`.trim(),
        ),
      )
      .toEqual(['started 1', 'progress 1', 'action - cancel', 'completed 1 after_cancel']);
    expect((await (await jetstreamManager(h.nc)).streams.info(h.names.streams.dlq)).state.messages).toBe(0);
    // a second cancel: the run is completed
    expect((await refusal(admin().cancelRun({ workspace_id: ws(), run_id: run.id, ...who }))).code).toBe('conflict');
  });

  it("puts its marker over another run's completion marker (a stray copy of the cancelled run's job must not take that one over)", async () => {
    const run = await insertRun(h, { tenant: 5, policyIds: [] });
    const kv = await openLocksBucket(h.nc, h.names);
    const key = leaseKey('assignments.fetch', run.run_identity_hash);
    const otherRun = crypto.randomUUID();
    await createLease(kv, key, { ...runningLease(run, 3), run_id: otherRun, state: 'completed' });
    const reply = await admin().cancelRun({ workspace_id: ws(), run_id: run.id, ...who });
    expect(reply).toMatchObject({ previous_status: 'queued', job_removed: false, action: { detail: { lease: 'fenced', attempt: 1 } } });
    const lease = await readLease(kv, key);
    expect(lease.status === 'present' && lease.value).toMatchObject({ run_id: run.id, state: 'cancelled', attempt: 1 });
    // another run still executing the identity keeps its lease
    const [policy] = await h.sql<{ id: string }>('SELECT id FROM policies WHERE tenant_id = $1 ORDER BY id LIMIT 1', [
      h.seed.tenants[5]!.id,
    ]);
    const busy = await insertRun(h, { tenant: 5, policyIds: [policy!.id] });
    const busyKey = leaseKey('assignments.fetch', busy.run_identity_hash);
    await createLease(kv, busyKey, { ...runningLease(busy, 1), run_id: otherRun });
    expect((await admin().cancelRun({ workspace_id: ws(), run_id: busy.id, ...who })).action.detail).toMatchObject({ lease: 'other_run' });
    const kept = await readLease(kv, busyKey);
    expect(kept.status === 'present' && kept.value).toMatchObject({ run_id: otherRun, state: 'running' });
  });

  it('loses the race to a completion the ledger applied first', async () => {
    const run = await created(2);
    const events = attemptEvents(jetstream(h.nc), h.names, { runId: run.id, workspaceId: ws(), attempt: 1, owner: 'worker-test' });
    await events.started();
    await events.completed(events.completion('succeeded', { total: 1, processed: 1, failed: 0 }, [], new Date()));
    await expect.poll(async () => (await h.client.getRun({ workspace_id: ws(), run_id: run.id })).outcome).toBe('succeeded');
    const err = await refusal(admin().cancelRun({ workspace_id: ws(), run_id: run.id, ...who }));
    expect(err).toMatchObject({ code: 'conflict', message: expect.stringContaining('already completed (outcome succeeded)') });
    expect(await actionsOf(run.id)).toEqual([]);
  });

  it("refuses another workspace's run, bad requests and housekeeping runs", async () => {
    const run = await created(3);
    expect((await refusal(admin().cancelRun({ workspace_id: crypto.randomUUID(), run_id: run.id, ...who }))).code).toBe('not_found');
    for (const bad of [{ actor: '' }, { reason: '   ' }, { actor: 'x'.repeat(201) }, { reason: 'a\u0000b' }]) {
      expect((await refusal(admin().cancelRun({ workspace_id: ws(), run_id: run.id, ...who, ...bad }))).code).toBe('bad_request');
    }
    const hk = await h.client.ensureRun({
      workspace_id: ws(),
      tenant_id: null,
      type: 'ops.reconcile_adapter_runs',
      inputs: {},
      initiator: { name: 'test' },
    });
    expect((await refusal(admin().cancelRun({ workspace_id: ws(), run_id: hk.run.id, ...who }))).code).toBe('conflict');
    expect((await h.client.getRun({ workspace_id: ws(), run_id: run.id })).status).toBe('queued');
  });
});

describe('rerun_run', () => {
  it('answers cooldown inside the cooldown, creates a forced re-run with --force (its job says force), and never overlaps', async () => {
    const run = await created(4);
    const events = attemptEvents(jetstream(h.nc), h.names, { runId: run.id, workspaceId: ws(), attempt: 1, owner: 'worker-test' });
    await events.completed(events.completion('succeeded', { total: 1, processed: 1, failed: 0 }, [], new Date()));
    await expect.poll(async () => (await h.client.getRun({ workspace_id: ws(), run_id: run.id })).status).toBe('completed');

    const cooling = await admin().rerunRun({ workspace_id: ws(), run_id: run.id, ...who });
    expect(cooling).toMatchObject({ disposition: 'cooldown', forced: false, action: null, rerun_of: run.id });
    expect(cooling.run.id).toBe(run.id);

    const forced = await admin().rerunRun({ workspace_id: ws(), run_id: run.id, force: true, ...who });
    expect(forced).toMatchObject({ disposition: 'created', forced: true, published: true, rerun_of: run.id });
    expect(forced.run).toMatchObject({ status: 'queued', run_identity_hash: run.run_identity_hash, initiator_name: who.actor });
    expect(forced.run.context).toMatchObject({ rerun_of: run.id, force: true });
    expect(forced.action).toMatchObject({ action: 'rerun', run_id: forced.run.id, detail: { rerun_of: run.id, forced: true } });
    // the job the ledger published carries the flag
    await expect
      .poll(
        async () =>
          (await h.sql<{ s: string | null }>('SELECT job_stream_seq AS s FROM operation_runs WHERE id = $1', [forced.run.id]))[0]!.s,
      )
      .not.toBeNull();
    const s = (await h.sql<{ s: string }>('SELECT job_stream_seq AS s FROM operation_runs WHERE id = $1', [forced.run.id]))[0]!.s;
    const job = (await (await jetstreamManager(h.nc)).streams.getMessage(h.names.streams.jobs, { seq: Number(s) }))!.json<
      Record<string, unknown>
    >();
    expect(job).toMatchObject({ run_id: forced.run.id, force: true });

    // the overlap rule: a forced re-run while the re-run is active creates nothing
    const overlap = await admin().rerunRun({ workspace_id: ws(), run_id: run.id, force: true, ...who });
    expect(overlap).toMatchObject({ disposition: 'active', action: null });
    expect(overlap.run.id).toBe(forced.run.id);
    // a run that is not completed is not re-run
    expect((await refusal(admin().rerunRun({ workspace_id: ws(), run_id: forced.run.id, ...who }))).code).toBe('conflict');
  });
});

describe('dead letters: redrive and purge', () => {
  async function deadLetter(reason: string, subject: string, body: unknown, truncated = false): Promise<number> {
    const h2 = headers();
    h2.set(HEADERS.dlqReason, reason);
    h2.set(HEADERS.dlqDetail, 'test');
    h2.set(HEADERS.dlqOriginSubject, subject);
    h2.set(HEADERS.dlqOriginStream, h.names.streams.jobs);
    h2.set(HEADERS.dlqOriginSeq, '1');
    if (truncated) h2.set(HEADERS.dlqTruncated, 'true');
    const ack = await jetstream(h.nc).publish(h.names.dlqSubject('assignment-worker'), JSON.stringify(body), { headers: h2 });
    return ack.seq;
  }

  it('redrives a dead letter to its origin subject with Ops-Redriven-From and removes it; needs --force for a reason that cannot succeed', async () => {
    const run = await created(5);
    const jsm = await jetstreamManager(h.nc);
    const body = { v: 1, run_id: run.id, workspace_id: ws(), note: 'from the dlq' };
    const seq = await deadLetter('ledger_unavailable', h.names.jobSubject('assignments.fetch'), body);
    const reply = await admin().redriveDeadLetter({ seq, ...who });
    expect(reply).toMatchObject({
      seq,
      reason: 'ledger_unavailable',
      subject: h.names.jobSubject('assignments.fetch'),
      stream: h.names.streams.jobs,
    });
    const redriven = await jsm.streams.getMessage(h.names.streams.jobs, { seq: reply.redriven_seq });
    expect(redriven?.json()).toEqual(body);
    expect(redriven?.header.get(HEADERS.redrivenFrom)).toBe(String(seq));
    expect(await jsm.streams.getMessage(h.names.streams.dlq, { seq })).toBeNull();
    expect(reply.action).toMatchObject({
      action: 'dlq_redrive',
      run_id: run.id,
      detail: { dlq_seq: seq, redriven_seq: reply.redriven_seq },
    });
    // gone: a second redrive of the same sequence is not found
    expect((await refusal(admin().redriveDeadLetter({ seq, ...who }))).code).toBe('not_found');

    const invalid = await deadLetter('schema_invalid', h.names.jobSubject('assignments.fetch'), { bad: true });
    const refused = await refusal(admin().redriveDeadLetter({ seq: invalid, ...who }));
    expect(refused).toMatchObject({ code: 'conflict', message: expect.stringContaining('--force') });
    expect(await jsm.streams.getMessage(h.names.streams.dlq, { seq: invalid })).not.toBeNull();
    expect((await admin().redriveDeadLetter({ seq: invalid, force: true, ...who })).action.detail).toMatchObject({ forced: true });

    const truncated = await deadLetter('oversized', h.names.jobSubject('assignments.fetch'), { big: true }, true);
    expect((await refusal(admin().redriveDeadLetter({ seq: truncated, force: true, ...who }))).message).toContain('truncated');
    const elsewhere = await deadLetter('ledger_unavailable', h.names.housekeepingRunSubject, {});
    expect((await refusal(admin().redriveDeadLetter({ seq: elsewhere, ...who }))).code).toBe('conflict');

    const purged = await admin().purgeDeadLetter({ seq: truncated, ...who });
    expect(purged).toMatchObject({ seq: truncated, reason: 'oversized', action: { action: 'dlq_purge', ...who } });
    expect(await jsm.streams.getMessage(h.names.streams.dlq, { seq: truncated })).toBeNull();
    expect((await refusal(admin().purgeDeadLetter({ seq: truncated, ...who }))).code).toBe('not_found');
    expect((await refusal(admin().purgeDeadLetter({ seq: 0, ...who }))).code).toBe('bad_request');
  });
});

describe('release_lock', () => {
  const key = (n: number) => `assignments.restore.${n.toString(16).padStart(64, '0')}`;
  const lease = (n: number, state: RunLeaseV1['state']): RunLeaseV1 => ({
    kind: 'run',
    run_id: `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
    owner: 'worker-x',
    attempt: 1,
    state,
    heartbeat_at: new Date().toISOString(),
    stream_seq: 3,
  });

  it('releases a stale running lease after watching it for the stale time', async () => {
    const kv = await openLocksBucket(h.nc, h.names);
    await createLease(kv, key(1), lease(1, 'running'));
    const started = performance.now();
    const reply = await admin().releaseLock({ key: key(1), ...who });
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(reply).toMatchObject({
      key: key(1),
      state: 'running',
      holder: 'stale',
      forced: false,
      action: { action: 'lock_release', ...who },
    });
    expect((await readLease(kv, key(1))).status).toBe('absent');
  });

  it('refuses while the holder renews, and a forced release fences it (its next renewal fails)', async () => {
    const kv = await openLocksBucket(h.nc, h.names);
    let revision = (await createLease(kv, key(2), lease(2, 'running')))!;
    let renewing = true;
    let fenced = false;
    const holder = (async () => {
      while (renewing) {
        await sleep(200);
        const next = await updateLease(kv, key(2), { ...lease(2, 'running'), heartbeat_at: new Date().toISOString() }, revision);
        if (next === null) {
          fenced = true;
          return;
        }
        revision = next;
      }
    })();
    const refused = await refusal(admin().releaseLock({ key: key(2), ...who }));
    expect(refused).toMatchObject({ code: 'conflict', message: expect.stringContaining('alive') });
    expect((await readLease(kv, key(2))).status).toBe('present');
    const forced = await admin().releaseLock({ key: key(2), force: true, ...who });
    expect(forced).toMatchObject({ holder: 'alive', forced: true });
    await holder;
    renewing = false;
    expect(fenced).toBe(true);
  });

  it('releases a cooldown marker only with --cooldown, a cancelled marker only with --force; unknown keys and bad keys are refused', async () => {
    const kv = await openLocksBucket(h.nc, h.names);
    await createLease(kv, key(3), lease(3, 'completed'));
    expect((await refusal(admin().releaseLock({ key: key(3), ...who }))).message).toContain('--cooldown');
    expect(await admin().releaseLock({ key: key(3), cooldown: true, ...who })).toMatchObject({ state: 'completed', holder: 'not_held' });
    await createLease(kv, key(4), lease(4, 'cancelled'));
    expect((await refusal(admin().releaseLock({ key: key(4), ...who }))).message).toContain('--force');
    expect(await admin().releaseLock({ key: key(4), force: true, ...who })).toMatchObject({ state: 'cancelled' });
    await createLease(kv, key(5), lease(5, 'retrying'));
    expect(await admin().releaseLock({ key: key(5), ...who })).toMatchObject({ state: 'retrying', holder: 'not_held' });
    expect((await refusal(admin().releaseLock({ key: key(9), ...who }))).code).toBe('not_found');
    expect((await refusal(admin().releaseLock({ key: 'assignments.fetch.>', ...who }))).code).toBe('bad_request');
  });
});
