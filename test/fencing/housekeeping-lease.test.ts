import { jetstreamManager } from '@nats-io/jetstream';
import type { LedgerEventV1 } from '@ops/contracts';
import { faketimeEnv, type ServiceProcess, sleep, startService, useHousekeepingStack } from '@ops/test-support';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Housekeeping's own lease (issue #14, scenario 4): an execution renews its
 * workspace lease while it runs, and another replica judges it stale only on
 * its own monotonic clock. Replica A executes a reconcile held far longer
 * than the lease's stale time (its ledger calls slowed down); replica B —
 * its wall clock minutes ahead, its schedule firing every second — keeps
 * standing down meanwhile and executes nothing until A has completed.
 */
const h = useHousekeepingStack({ tenants: 1, policiesPerTenant: 1 });
const processes: ServiceProcess[] = [];
afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
});

const HOLD_MS = 8_000;
const STALE_MS = '2000';

async function reconcileEvents(): Promise<Array<{ seq: number; event: LedgerEventV1 }>> {
  const jsm = await jetstreamManager(h.nc);
  const info = await jsm.streams.info(h.names.streams.ledger);
  const out: Array<{ seq: number; event: LedgerEventV1 }> = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq += 1) {
    const m = await jsm.streams.getMessage(h.names.streams.ledger, { seq }).catch(() => null);
    if (m) out.push({ seq, event: m.json<LedgerEventV1>() });
  }
  return out;
}

describe("housekeeping's workspace lease", () => {
  it('an execution held longer than the stale time keeps its lease: a second replica triggered meanwhile stands down', async () => {
    // replica A (in-process): its listing of active runs takes HOLD_MS
    const a = await h.startHousekeeping({ HOUSEKEEPING_LEASE_STALE_MS: STALE_MS }, (ledger) => ({
      ...ledger,
      listActiveRuns: async (request) => {
        await sleep(HOLD_MS);
        return ledger.listActiveRuns(request);
      },
    }));
    const ownerA = a.deps.owner;
    // triggered on demand while A is the only replica; it answers when its execution ends
    const reply = h.nc.request(h.names.housekeepingRunSubject, JSON.stringify({ workspace_id: h.seed.workspace.id }), { timeout: 60_000 });
    await expect.poll(async () => (await reconcileEvents()).some((e) => e.event.kind === 'started' && e.event.owner === ownerA)).toBe(true);

    // replica B: clock three minutes ahead, a tick every second
    const b = startService('services/housekeeping/src/main.ts', {
      ...h.housekeepingEnv({ HOUSEKEEPING_CRON: '* * * * * *', HOUSEKEEPING_LEASE_STALE_MS: STALE_MS, LOG_LEVEL: 'info' }),
      ...faketimeEnv(180),
    });
    processes.push(b);
    await b.waitForOutput(/housekeeping ready/);

    const answer = (await reply).json<{ disposition: string; run_id: string }>();
    expect(answer.disposition).toBe('created');
    await b.stop('SIGKILL');

    const events = await reconcileEvents();
    const aCompleted = events.find((e) => e.event.kind === 'completed' && e.event.owner === ownerA && e.event.run_id === answer.run_id);
    expect(aCompleted).toBeDefined();
    // B ran while A held the lease — and stood down every time
    expect(b.output()).toContain('reconcile skipped: another execution holds the workspace lease');
    // (B reconciles the other seeded workspace meanwhile: nobody holds that one)
    const bStartedDuringA = events.filter(
      (e) =>
        e.event.kind === 'started' && e.event.workspace_id === h.seed.workspace.id && e.event.owner !== ownerA && e.seq < aCompleted!.seq,
    );
    expect(
      bStartedDuringA,
      b
        .output()
        .split('\n')
        .filter((l) => /reconcile|lease/.test(l))
        .slice(0, 20)
        .join('\n'),
    ).toEqual([]);
  }, 90_000);
});
