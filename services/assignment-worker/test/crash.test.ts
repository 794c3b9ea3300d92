import { Kvm } from '@nats-io/kv';
import { useWorkerStack } from '@ops/test-support';
import { describe, expect, it } from 'vitest';

/**
 * kill -9 of a worker mid-run: the job is redelivered after its ack wait,
 * the redelivered attempt takes the stale lease over (same run), and the run
 * completes with the counters of that final attempt. The fake Graph's probe
 * proves no two executions of the identity overlapped.
 */
const h = useWorkerStack({ tenants: 1, policiesPerTenant: 6 });

describe('a worker killed with -9 mid-run', () => {
  it('the run completes on redelivery with correct counters and never overlaps', async () => {
    h.graph.setFaults({ latencyMs: 400 });
    const victim = await h.startWorkerProcess();
    const { run } = await h.dispatch('assignments.fetch', 0);
    // wait until the victim is visibly mid-run (some progress reported)
    await expect
      .poll(async () => (await h.getRun(run.id)).summary_counts['processed'] ?? 0, { timeout: 20_000, interval: 50 })
      .toBeGreaterThanOrEqual(1);
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBe(-1);
    const before = await h.getRun(run.id);
    expect(before.status).toBe('running');

    const survivor = await h.startWorkerProcess();
    const done = await h.waitCompleted(run.id, 40_000);
    expect(done).toMatchObject({ outcome: 'succeeded', summary_counts: { total: 6, processed: 6, failed: 0 } });
    expect(done.attempt).toBeGreaterThanOrEqual(2);
    expect(survivor.output()).toContain('took over a stale lease of this run');

    const tenantExt = h.seed.tenants[0]!.external_id;
    const probe = h.graph.probe();
    for (const p of await h.policies(0)) expect(probe.by_key[`${tenantExt}/${p.external_id}`]!.max_concurrent).toBe(1);
    // the lease now marks the cooldown, written by the survivor
    const kv = await new Kvm(h.nc).open(h.names.kv.locks);
    const lease = (await kv.get(`assignments.fetch.${done.run_identity_hash}`))!.json<{ state: string; run_id: string; attempt: number }>();
    expect(lease).toMatchObject({ state: 'completed', run_id: run.id, attempt: done.attempt });
    h.graph.setFaults({});
    expect(await survivor.stop('SIGTERM')).toBe(0);
  });

  it('SIGTERM mid-run releases the job: another worker finishes it', async () => {
    h.graph.setFaults({ latencyMs: 400 });
    const leaving = await h.startWorkerProcess({ WORKER_SHUTDOWN_GRACE_MS: '200' });
    // five of the six policies: another identity than the first test's run
    const { run } = await h.dispatch(
      'assignments.fetch',
      0,
      (await h.policies(0)).slice(0, 5).map((p) => p.id),
    );
    await expect.poll(async () => (await h.getRun(run.id)).status, { timeout: 20_000, interval: 50 }).toBe('running');
    const code = await leaving.stop('SIGTERM');
    if (!leaving.output().includes('job released on shutdown')) process.stderr.write(leaving.output());
    expect(code).toBe(0);
    expect(leaving.output()).toContain('job released on shutdown');
    await h.startWorkerProcess();
    const done = await h.waitCompleted(run.id, 40_000);
    // the hand-back cost exactly one delivery attempt
    expect(done).toMatchObject({ outcome: 'succeeded', attempt: 2, summary_counts: { total: 5, processed: 5, failed: 0 } });
    h.graph.setFaults({});
  });
});
