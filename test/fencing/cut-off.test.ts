import { randomInt } from 'node:crypto';
import { type FakeGraph, startFakeGraph } from '@ops/fake-graph';
import {
  GRAPH_SECRET,
  prng,
  type ServiceProcess,
  seedFrom,
  sleep,
  startTcpProxy,
  type TcpProxy,
  testEnv,
  useWorkerStack,
} from '@ops/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

/**
 * Lease loss reaches in-flight work (issue #14, scenario 3). A worker is cut
 * off mid-item — its NATS connection dropped by a proxy the test controls, or
 * the whole process frozen with SIGSTOP — while the fake Graph stalls that
 * item. Another worker takes the run over and finishes it. When the first
 * comes back it must do nothing more: no Graph call, no snapshot row, and no
 * message on `$JS.ACK.>` (an ack or nak that nats.js buffered during the cut
 * would settle the new owner's delivery), on the ledger event subjects or on
 * the locks bucket.
 */
const seed = seedFrom('FENCING_SEED', randomInt(1, 2 ** 31));
const random = prng(seed);
process.stderr.write(`fencing cut-off: seed ${seed} (FENCING_SEED=${seed} replays it)\n`);

const h = useWorkerStack({ tenants: 2, policiesPerTenant: 3 });
/** the second worker's own fake Graph: what the first one calls is told apart by the fake it calls */
let graphB: FakeGraph;
let proxy: TcpProxy;
const processes: ServiceProcess[] = [];

beforeAll(async () => {
  graphB = await startFakeGraph({ port: 0, clientId: 'ops-test', clientSecret: GRAPH_SECRET });
  const [host, port] = new URL(testEnv.NATS_URL[0]!.replace('nats://', 'http://')).host.split(':');
  proxy = await startTcpProxy({ host: host!, port: Number(port) });
});
afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop('SIGKILL')));
});
afterAll(async () => {
  await proxy?.close();
  await graphB?.close();
});

const CASES = [
  { name: 'its NATS connection is cut', tenant: 0, how: 'cut' },
  { name: 'it is frozen with SIGSTOP', tenant: 1, how: 'sigstop' },
] as const;

describe('a worker cut off mid-item', () => {
  it.each(CASES)(
    '$name: after the takeover it makes no Graph call, writes no snapshot, sends no ack, event or lease write',
    async (c) => {
      h.graph.reset();
      proxy.restore();
      const policies = await h.policies(c.tenant);
      const tenantExt = h.seed.tenants[c.tenant]!.external_id;
      // the first worker stalls on an item after the first one
      const stalled = policies[1 + Math.floor(random() * 2)]!;
      // past the takeover (ack wait 4 s + stale 3 s), inside the Graph client's timeout: the call ends on its own
      const stallMs = 11_000 + Math.floor(random() * 3_000);
      h.graph.setFaults({ stall: { policies: [stalled.external_id], count: 1, ms: stallMs } });
      const first = await h.startWorkerProcess({ NATS_URL: proxy.url, WORKER_CONCURRENCY: '1', GRAPH_TIMEOUT_MS: '30000' });
      processes.push(first);
      const { run } = await h.dispatch('assignments.fetch', c.tenant);
      await expect.poll(() => h.graph.probe().by_key[`${tenantExt}/${stalled.external_id}`]?.in_flight ?? 0, { timeout: 15_000 }).toBe(1);

      if (c.how === 'cut') proxy.cut();
      else first.child.kill('SIGSTOP');
      const second = await h.startWorkerProcess({ GRAPH_AUTHORITY_URL: graphB.url, GRAPH_BASE_URL: graphB.url });
      processes.push(second);
      const done = await h.waitCompleted(run.id, 45_000);
      expect(done).toMatchObject({ outcome: 'succeeded', summary_counts: { total: 3, processed: 3, failed: 0 } });
      const callsAtTakeover = h.graph.probe().total_calls;

      // the first worker comes back, and is watched for a while: the stalled call ends meanwhile
      proxy.restore();
      if (c.how === 'sigstop') first.child.kill('SIGCONT');
      await sleep(stallMs + 3_000);

      const published = proxy.publishedSinceRestore();
      const events = h.names.ledgerEventSubject('started').replace(/started$/, '');
      const forbidden = published.filter(
        (s) => s.startsWith('$JS.ACK.') || s.startsWith(events) || s.startsWith(`$KV.${h.names.kv.locks}.`),
      );
      expect(forbidden, `seed ${seed}: sent after coming back: ${published.join(', ')}`).toEqual([]);
      expect(h.graph.probe().total_calls, `seed ${seed}: Graph calls of the cut-off worker`).toBe(callsAtTakeover);
      // every snapshot row of the run is the new attempt's: none written after the run completed
      const rows = await h.sql<{ policy_id: string; fetched_at: Date }>(
        'SELECT policy_id, fetched_at FROM assignment_snapshots WHERE run_id = $1 ORDER BY policy_id',
        [run.id],
      );
      expect(rows).toHaveLength(3);
      for (const row of rows)
        expect(row.fetched_at.getTime(), `seed ${seed}: policy ${row.policy_id}`).toBeLessThanOrEqual(Date.parse(done.completed_at!));
      const attempts = await h.sql<{ attempt: number }>('SELECT DISTINCT attempt FROM assignment_snapshots WHERE run_id = $1', [run.id]);
      expect(attempts).toEqual([{ attempt: done.attempt }]);
    },
    120_000,
  );
});
