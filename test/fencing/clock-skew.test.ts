import { randomInt } from 'node:crypto';
import { faketimeEnv, prng, type ServiceProcess, seedFrom, startService, useHousekeepingStack } from '@ops/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { maxConcurrentCalls, publishJobCopy } from './support.ts';

/**
 * Fencing under clock skew (issue #14, scenario 1): a lease is judged stale on
 * ONE clock — the observer's own monotonic clock watching the lease's revision
 * — never by comparing a writer's `heartbeat_at` with a reader's wall clock.
 * Two worker processes whose clocks differ by more than the stale time (3 s):
 * the one holding the run keeps renewing; a copy of its job reaches the other.
 * The copy must be recognized as a duplicate: no takeover, one execution.
 */
const seed = seedFrom('FENCING_SEED', randomInt(1, 2 ** 31));
const random = prng(seed);
process.stderr.write(`fencing clock-skew: seed ${seed} (FENCING_SEED=${seed} replays it)\n`);

const h = useHousekeepingStack({ tenants: 3, policiesPerTenant: 3 });
const started: ServiceProcess[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.stop('SIGKILL')));
});

const CASES = [
  { name: "the receiving worker's clock is ahead", tenant: 0, holderShift: 0, readerShift: 1 },
  { name: "the holding worker's clock is behind", tenant: 1, holderShift: -1, readerShift: 0 },
] as const;

describe('two workers with skewed clocks', () => {
  it.each(CASES)(
    '$name by more than the stale time: the copy is a duplicate, never a takeover; one execution; the run succeeds',
    async (c) => {
      const skew = 8 + Math.floor(random() * 5);
      const shifted = (sign: number) => (sign === 0 ? {} : faketimeEnv(sign * skew));
      h.graph.reset();
      // each call held a while: the run lasts long enough for the copy to arrive mid-run
      h.graph.setFaults({ latencyMs: 1_200 + Math.floor(random() * 400) });

      // one job at a time each, so the copy goes to the other worker
      started.push(await h.startWorkerProcess({ WORKER_CONCURRENCY: '1', ...shifted(c.holderShift) }));
      const { run } = await h.dispatch('assignments.fetch', c.tenant);
      await expect.poll(async () => (await h.getRun(run.id)).status, { timeout: 15_000, interval: 100 }).toBe('running');
      started.push(await h.startWorkerProcess({ WORKER_CONCURRENCY: '1', ...shifted(c.readerShift) }));
      await publishJobCopy(h, await h.getRun(run.id), `skew-${c.tenant}`);

      const done = await h.waitCompleted(run.id, 45_000);
      expect(done).toMatchObject({ outcome: 'succeeded', summary_counts: { total: 3, processed: 3, failed: 0 } });
      // one execution: every policy listed exactly as often as one fetch pages through it, never two at once
      const tenantExt = h.seed.tenants[c.tenant]!.external_id;
      for (const p of await h.policies(c.tenant)) {
        const pages = Math.max(1, Math.ceil(h.graph.truth(tenantExt, p.external_id).length / 2));
        expect(h.graph.probe().by_key[`${tenantExt}/${p.external_id}`], `policy ${p.external_id} (seed ${seed})`).toMatchObject({
          list_calls: pages,
          max_concurrent: 1,
        });
      }
      expect(maxConcurrentCalls(h.graph)).toBe(1);
      for (const p of started) expect(p.output()).not.toContain('took over a stale lease');
      // the copy was acknowledged as a duplicate and counted on the run
      await expect.poll(async () => (await h.getRun(run.id)).dedupe_hits, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    },
  );
});

describe('a housekeeping replica with a skewed clock', () => {
  it('ahead by more than the expected duration plus the grace: it does not close a live run', async () => {
    // the catalog's expected duration (5 min) plus the harness's grace (1 s), and then some
    const skew = 5 * 60 + 60 + Math.floor(random() * 60);
    h.graph.reset();
    h.graph.setFaults({ latencyMs: 1_500 });
    started.push(await h.startWorkerProcess({ WORKER_CONCURRENCY: '1' }));
    const { run } = await h.dispatch('assignments.fetch', 2);
    await expect.poll(async () => (await h.getRun(run.id)).status, { timeout: 15_000, interval: 100 }).toBe('running');
    const housekeeping = startService('services/housekeeping/src/main.ts', { ...h.housekeepingEnv(), ...faketimeEnv(skew) });
    started.push(housekeeping);
    await housekeeping.waitForOutput(/housekeeping ready/);
    // a reconcile now, judging the run: quiet by the skewed clock, its lease renewed all along
    const reply = await h.nc.request(h.names.housekeepingRunSubject, JSON.stringify({ workspace_id: h.seed.workspace.id }), {
      timeout: 30_000,
    });
    expect(reply.json<{ disposition: string }>().disposition).toBe('created');
    expect((await h.getRun(run.id)).status).toBe('running');

    const done = await h.waitCompleted(run.id, 45_000);
    expect(done, `seed ${seed}, skew ${skew} s`).toMatchObject({ outcome: 'succeeded', failure_summary: [] });
    expect(housekeeping.output()).not.toContain('"action":"stale"');
  });
});
