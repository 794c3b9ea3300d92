import { Kvm } from '@nats-io/kv';
import { computeIdentity, leaseKey, OpsError, type RunV1 } from '@ops/contracts';
import { createLease, readLease, updateLease } from '@ops/nats';
import { insertRun, sleep, useHousekeepingStack } from '@ops/test-support';
import { describe, expect, it } from 'vitest';

/**
 * User story 3 (FR-007, FR-007a, FR-008, SC-003): every execution leaves a
 * workspace-scoped run of type ops.reconcile_adapter_runs with an outcome;
 * failures carry the stable code and a sanitized message; stuck runs are
 * healed through ledger events only.
 */
const h = useHousekeepingStack({ tenants: 2, policiesPerTenant: 3, ledgerEnv: { LOCKS_TTL_SECONDS: '3' } });

async function reconcileRuns(): Promise<RunV1[]> {
  return (await h.client.listRuns({ workspace_id: h.seed.workspace.id, type: 'ops.reconcile_adapter_runs', limit: 500 })).runs;
}

async function trigger(): Promise<{ run_id: string | null; disposition: string }> {
  const reply = await h.nc.request(h.names.housekeepingRunSubject, JSON.stringify({ workspace_id: h.seed.workspace.id }), {
    timeout: 15_000,
  });
  return reply.json();
}

describe('ops.reconcile_adapter_runs', () => {
  it('a successful execution leaves a workspace-scoped run: succeeded, tenant null, three counters', async () => {
    await h.startHousekeeping();
    const reply = await trigger();
    expect(reply.disposition).toBe('created');
    const run = await h.waitCompleted(reply.run_id!);
    expect(run).toMatchObject({
      type: 'ops.reconcile_adapter_runs',
      tenant_id: null,
      status: 'completed',
      outcome: 'succeeded',
      initiator_name: 'housekeeping',
      failure_summary: [],
    });
    expect(Object.keys(run.summary_counts).sort()).toEqual(['failed', 'processed', 'total']);
    // no cooldown for this type: the next execution is a new run
    const next = await trigger();
    expect(next.disposition).toBe('created');
    expect(next.run_id).not.toBe(reply.run_id);
  });

  it('a workspace lease this replica wrote but never heard back about (stored after a timeout) is taken at the next tick, not after the stale time', async () => {
    // issue #19, cluster-two-down: with two of three nodes down a lease create times out, and
    // JetStream stores it once the nodes return; no execution holds it, yet every tick stood
    // down for the whole stale time (2 min by default) because it looked like a live execution
    const hk = await h.startHousekeeping();
    const { reconcileWorkspace, RECONCILE_TYPE } = await import('../src/reconcile.ts');
    const identity = computeIdentity({ type: RECONCILE_TYPE, workspaceId: h.seed.workspace.id, tenantId: null, inputs: {} });
    const key = leaseKey(RECONCILE_TYPE, identity.hash);
    const kv = await new Kvm(h.nc).open(h.names.kv.locks);
    const orphan = (owner: string) => ({
      kind: 'workspace' as const,
      run_id: null,
      owner,
      state: 'running' as const,
      tick: 'lost-tick',
      heartbeat_at: new Date().toISOString(),
    });
    // written over whatever an earlier test left (a CAS at its revision)
    const put = async (owner: string) => {
      const read = await readLease(kv, key);
      const revision =
        read.status === 'absent' ? await createLease(kv, key, orphan(owner)) : await updateLease(kv, key, orphan(owner), read.revision);
      expect(revision).not.toBeNull();
    };
    // another replica's running lease: a live execution as far as this replica can tell — stand down
    await put('another-replica:1');
    expect((await reconcileWorkspace(hk.deps, h.seed.workspace.id, 'tick-a')).disposition).toBe('active');
    // this replica's own, held by none of its executions: taken now
    await put(hk.deps.owner);
    const result = await reconcileWorkspace(hk.deps, h.seed.workspace.id, 'tick-b');
    expect(result.disposition).toBe('created');
    await h.waitCompleted((result as { runId: string }).runId);
  });

  it('a forced failure ends the run failed with the stable code and a message free of the injected secrets', async () => {
    const secrets = [
      'postgres://admin:hunter2@db.internal:5432/ops',
      'hunter2',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
      'client_secret=abc123def456',
    ];
    const hk = await h.startHousekeeping({}, (ledger) => ({
      ...ledger,
      listActiveRuns: async () => {
        throw new OpsError('timeout', `ledger query timed out talking to ${secrets[0]} with Bearer ${secrets[2]} and ${secrets[3]}`);
      },
    }));
    const { reconcileWorkspace } = await import('../src/reconcile.ts');
    const result = await reconcileWorkspace(hk.deps, h.seed.workspace.id, 'forced-failure');
    expect(result).toMatchObject({ disposition: 'created', outcome: 'failed' });
    const run = await h.waitCompleted((result as { runId: string }).runId);
    expect(run).toMatchObject({
      outcome: 'failed',
      tenant_id: null,
      failure_summary: [{ code: 'ops.reconcile_adapter_runs.failed', count: 1 }],
    });
    const message = run.failure_summary[0]!.message;
    expect(message.length).toBeLessThanOrEqual(500);
    expect(message).toContain('timed out');
    for (const s of secrets) expect(message).not.toContain(s);
    for (const s of secrets) expect(h.housekeepingLogLines.join('\n')).not.toContain(s);
    // out of the API's queue group again: later tests talk to the healthy instance
    await hk.stopIntake();
  });

  it('a worker killed with -9 whose lease expired: the run is healed to failed/run.stale, and the identity runs again later', async () => {
    h.graph.setFaults({ latencyMs: 400 });
    const victim = await h.startWorkerProcess();
    const { run } = await h.dispatch('assignments.fetch', 0);
    await expect
      .poll(async () => (await h.getRun(run.id)).summary_counts['processed'] ?? 0, { timeout: 20_000, interval: 50 })
      .toBeGreaterThanOrEqual(1);
    victim.child.kill('SIGKILL');
    await victim.exited;
    const lastReported = (await h.getRun(run.id)).summary_counts;
    // the lease bucket's TTL is 3 s here: wait until the dead worker's lease is gone
    await sleep(3_500);
    const reply = await trigger();
    const reconcile = await h.waitCompleted(reply.run_id!);
    expect(reconcile.summary_counts).toMatchObject({ processed: 1, failed: 0 });
    expect(reconcile.summary_counts['total']).toBeGreaterThanOrEqual(1);
    expect(reconcile.outcome).toBe('succeeded');
    const healed = await h.waitCompleted(run.id);
    expect(healed).toMatchObject({ outcome: 'failed', summary_counts: lastReported, failure_summary: [{ code: 'run.stale' }] });

    // not blocked forever: after the cooldown the same identity runs again
    h.clock.set(new Date(Date.parse(healed.completed_at!) + (15 * 60 + 1) * 1000));
    const again = await h.dispatch('assignments.fetch', 0);
    h.clock.set(new Date());
    expect(again.disposition).toBe('created');
    h.graph.setFaults({});
    // the closure took its attempt from the run's lease and left it completed: the identity's
    // cooldown marker, which lives the bucket TTL (3 s here; the server expires it a little later) like any completion's
    const locks = await new Kvm(h.nc).open(h.names.kv.locks);
    await expect
      .poll(async () => (await readLease(locks, leaseKey('assignments.fetch', run.run_identity_hash))).status, { timeout: 15_000 })
      .toBe('absent');
    await h.startWorker();
    expect(await h.waitCompleted(again.run.id)).toMatchObject({
      outcome: 'succeeded',
      summary_counts: { total: 3, processed: 3, failed: 0 },
    });
    // the dead attempt's redelivered job was recognised as a duplicate, never executed again
    expect((await h.getRun(run.id)).outcome).toBe('failed');
  });

  it('a run whose job was lost is published again by the ledger on the reconcile and completed by a worker', async () => {
    // the ledger created it, its job was never stored (or was lost)
    const run = await insertRun(h, { type: 'assignments.restore', tenant: 1 });
    await sleep(1_200);
    const reply = await trigger();
    const reconcile = await h.waitCompleted(reply.run_id!);
    expect(reconcile.outcome).toBe('succeeded');
    expect(reconcile.summary_counts['processed']).toBeGreaterThanOrEqual(1);
    const done = await h.waitCompleted(run.id);
    expect(done.status).toBe('completed');
    expect(done.attempt).toBe(1);
    expect((await reconcileRuns()).every((r) => r.tenant_id === null)).toBe(true);
  });
});
