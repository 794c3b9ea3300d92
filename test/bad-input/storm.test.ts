import type { JetStreamManager } from '@nats-io/jetstream';
import type { AssignmentWorker } from '@ops/assignment-worker/app';
import { LEDGER_API_ENDPOINTS } from '@ops/contracts';
import type { Housekeeping } from '@ops/housekeeping/app';
import { useHousekeepingStack } from '@ops/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventArb } from './event-arbitraries.ts';
import { createFixtures, type Fixtures } from './fixtures.ts';
import { type Hostile, json, PAYLOAD_MARKER, PLANTED_SECRET, PLANTED_SECRET_WORD, SCALE } from './generators.ts';
import { jobArb } from './job-arbitraries.ts';
import { apiArb, housekeepingArb } from './request-arbitraries.ts';
import { checkLetter, createStormKit } from './storm-support.ts';

/**
 * Issue #6 item 5 — bad input. A seeded fast-check storm of malformed and
 * hostile messages at every subject the services consume and every
 * ops.ledger.api endpoint; each message must end exactly as the design says
 * (a dead letter with the right reason, an ignored stale event, a typed
 * error reply), and afterwards the services still serve, the ledger is
 * unchanged and no planted secret or raw payload reached a log line.
 *
 * Reproduce a failure: BAD_INPUT_SEED=<seed> (printed on failure);
 * BAD_INPUT_SCALE=<n> multiplies the message counts.
 */
const COUNTS = {
  events: 6000 * SCALE,
  jobs: 1500 * SCALE,
  apiPerEndpoint: 600 * SCALE,
  housekeeping: 800 * SCALE,
};

const h = useHousekeepingStack({ tenants: 2, policiesPerTenant: 3 });
const { started, letters, figures, bump, outcomesOf, tally, storm, waitConsumerIdle, waitLetters, request, dlqOriginSeqs, ...kit } =
  createStormKit(h);
const enc = new TextEncoder();
const dec = new TextDecoder();

let fx: Fixtures;
let worker: AssignmentWorker;
let hk: Housekeeping;
let jsm: JetStreamManager;
let snapshotBefore: string;

beforeAll(async () => {
  worker = await h.startWorker();
  hk = await h.startHousekeeping();
  jsm = await kit.start();
  fx = await createFixtures(h);
  // nothing may change from here on (the legit dispatch at the end comes after the second snapshot)
  snapshotBefore = await kit.snapshotRuns();
}, 120_000);

afterAll(() => kit.writeFigures());

describe('bad input: a seeded storm of hostile messages', () => {
  it(`ops.ledger.events.*: ${COUNTS.events} events, each dead-lettered with its reason or acked and ignored`, async () => {
    const sent: Array<{ seq: number; m: Hostile }> = [];
    // copies: prom-client hands out its live value objects, which later increments mutate
    const metric = async () =>
      (await h.service.registry.getSingleMetric('ops_ledger_events_total')!.get()).values.map((v) => ({ ...v, labels: { ...v.labels } }));
    const before = await metric();
    await storm('ledger-events', 1, eventArb(fx), COUNTS.events, 250, async (chunk) => {
      const acks = await Promise.all(
        chunk.map((m) => h.js.publish(`${h.names.prefix}.ops.ledger.events.${m.subject}`, m.data).then((ack) => ({ ack, m }))),
      );
      const mine = acks.map(({ ack, m }) => ({ seq: ack.seq, m }));
      sent.push(...mine);
      await waitConsumerIdle(h.names.streams.ledger, h.names.consumers.ledgerEvents, Math.max(...mine.map((x) => x.seq)));
      const key = (seq: number) => `${h.names.streams.ledger}:${seq}`;
      await waitLetters(mine.filter((x) => !x.m.expect.includes('ignored')).map((x) => key(x.seq)));
      for (const { seq, m } of mine) {
        const letter = letters.get(key(seq));
        const outcome = letter ? letter.reason : 'ignored';
        if (letter) checkLetter(letter, `event ${m.label} seq ${seq}`);
        expect(m.expect, `event ${m.label} on ${m.subject} (seq ${seq}): ${outcome}${letter ? ` — ${letter.detail}` : ''}`).toContain(
          outcome,
        );
      }
    });
    figures.sent['ops.ledger.events.*'] = sent.length;

    // accounting from the stream and the consumer, not from the expectations
    const info = await jsm.consumers.info(h.names.streams.ledger, h.names.consumers.ledgerEvents);
    const maxSeq = Math.max(...sent.map((x) => x.seq));
    expect(info.ack_floor.stream_seq).toBeGreaterThanOrEqual(maxSeq);
    expect(info.num_ack_pending).toBe(0);
    const dlqSeqs = new Set(await dlqOriginSeqs(h.names.dlqSubject('ledger')));
    const dlqCount = sent.filter((x) => dlqSeqs.has(x.seq)).length;
    const ignoredCount = sent.length - dlqCount;
    for (const x of sent) {
      const outcome = dlqSeqs.has(x.seq) ? letters.get(`${h.names.streams.ledger}:${x.seq}`)!.reason : 'ignored';
      tally('ops.ledger.events.*', outcome);
      bump(outcomesOf('ops.ledger.events.* by class'), `${x.m.label} → ${outcome}`);
      if (outcome !== 'ignored') bump(figures.dlqReasons, `ledger:${outcome}`);
    }
    expect(dlqCount + ignoredCount).toBe(sent.length);
    expect(ignoredCount).toBe(sent.filter((x) => x.m.expect.includes('ignored')).length);
    // the ledger's own count: every non-dead-lettered event was ignored, none applied
    const after = await metric();
    const delta = (result: (r: string) => boolean) =>
      after.filter((v) => result(String(v.labels['result']))).reduce((a, v) => a + v.value, 0) -
      before.filter((v) => result(String(v.labels['result']))).reduce((a, v) => a + v.value, 0);
    expect(delta((r) => r === 'applied')).toBe(0);
    expect(delta((r) => r !== 'applied')).toBe(ignoredCount);
    for (const v of after) {
      const result = String(v.labels['result']);
      if (result === 'applied') continue;
      const was = before.find((b) => b.labels['result'] === v.labels['result'] && b.labels['kind'] === v.labels['kind'])?.value ?? 0;
      bump(figures.ignoreReasons, result, v.value - was);
    }
  }, 180_000);

  it(`ops.jobs.assignments.*: ${COUNTS.jobs} jobs, each dead-lettered with its reason`, async () => {
    const sent: Array<{ seq: number; m: Hostile }> = [];
    await storm('jobs', 2, jobArb(fx), COUNTS.jobs, 100, async (chunk) => {
      const acks = await Promise.all(
        chunk.map((m) => h.js.publish(h.names.jobSubject(m.subject!), m.data).then((ack) => ({ seq: ack.seq, m }))),
      );
      sent.push(...acks);
      await waitConsumerIdle(h.names.streams.jobs, h.names.consumers.assignmentWorker, Math.max(...acks.map((x) => x.seq)));
      const key = (seq: number) => `${h.names.streams.jobs}:${seq}`;
      await waitLetters(acks.map((x) => key(x.seq)));
      for (const { seq, m } of acks) {
        const letter = letters.get(key(seq));
        const outcome = letter ? letter.reason : 'acked_without_dead_letter';
        if (letter) checkLetter(letter, `job ${m.label} seq ${seq}`);
        expect(m.expect, `job ${m.label} on ${m.subject} (seq ${seq}): ${outcome}${letter ? ` — ${letter.detail}` : ''}`).toContain(
          outcome,
        );
      }
    });
    figures.sent['ops.jobs.assignments.*'] = sent.length;
    const dlqSeqs = new Set(await dlqOriginSeqs(h.names.dlqSubject('assignment-worker')));
    for (const x of sent) {
      const outcome = dlqSeqs.has(x.seq) ? letters.get(`${h.names.streams.jobs}:${x.seq}`)!.reason : 'missing';
      tally('ops.jobs.assignments.*', outcome);
      bump(outcomesOf('ops.jobs.assignments.* by class'), `${x.m.label} → ${outcome}`);
      bump(figures.dlqReasons, `assignment-worker:${outcome}`);
    }
    expect(sent.filter((x) => dlqSeqs.has(x.seq)).length).toBe(sent.length);
    // a work-queue stream: every bad job is gone from OPS_JOBS
    expect((await jsm.streams.info(h.names.streams.jobs)).state.messages).toBe(0);
  }, 180_000);

  for (const [i, endpoint] of LEDGER_API_ENDPOINTS.entries()) {
    it(`ops.ledger.api.${endpoint}: ${COUNTS.apiPerEndpoint} requests, each answered with a typed error`, async () => {
      const replies: string[] = [];
      let n = 0;
      await storm(`ledger-api.${endpoint}`, 10 + i, apiArb(fx, endpoint), COUNTS.apiPerEndpoint, 50, async (chunk) => {
        n += chunk.length;
        await Promise.all(chunk.map((m) => request(`ops.ledger.api.${endpoint}`, h.names.ledgerApiSubject(endpoint), m, replies)));
      });
      figures.sent[`ops.ledger.api.${endpoint}`] = n;
    }, 120_000);
  }

  it(`ops.housekeeping.run: ${COUNTS.housekeeping} requests, each answered with a typed error`, async () => {
    const replies: string[] = [];
    let n = 0;
    let chunkNo = 0;
    await storm('housekeeping', 20, housekeepingArb(), COUNTS.housekeeping, 50, async (chunk) => {
      chunkNo += 1;
      n += chunk.length;
      // unknown workspaces are unique within a chunk: two concurrent requests for one workspace share its lease
      const seen = new Set<string>();
      const unique = chunk.map((m, j) => {
        if (m.label !== 'unknown_workspace') return m;
        const id = (JSON.parse(dec.decode(m.data)) as { workspace_id: string }).workspace_id;
        if (!seen.has(id)) {
          seen.add(id);
          return m;
        }
        return json('unknown_workspace', { workspace_id: `${id.slice(0, 24)}${(chunkNo * 1000 + j).toString(16).padStart(12, '0')}` }, [
          'not_found',
        ]);
      });
      await Promise.all(unique.map((m) => request('ops.housekeeping.run', h.names.housekeepingRunSubject, m, replies)));
    });
    figures.sent['ops.housekeeping.run'] = n;
  }, 120_000);

  // found by this storm: housekeeping echoed unknown keys unsanitized; both
  // responders now build their error body with errorReplyBody (libs/contracts)
  it('ops.housekeeping.run: an unknown key named like a connection string is not echoed in the error reply', async () => {
    const reply = await h.nc.request(
      h.names.housekeepingRunSubject,
      enc.encode(JSON.stringify({ workspace_id: fx.ws, [PLANTED_SECRET]: 1 })),
      { timeout: 10_000 },
    );
    const body = dec.decode(reply.data);
    expect(body).toContain('"code":"bad_request"');
    expect(body).not.toContain(PLANTED_SECRET_WORD);
  });

  it('afterwards: every service is ready, the ledger is unchanged, no secret or payload in the logs, a normal dispatch completes', async () => {
    const total = Object.values(figures.sent).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(10_000 * SCALE);

    for (const [name, port] of [
      ['ledger-service', h.service.http.port],
      ['assignment-worker', worker.http.port],
      ['housekeeping', hk.http.port],
    ] as const) {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(res.status, `${name} /readyz`).toBe(200);
    }

    // identical to the snapshot taken before the storm
    expect(await kit.snapshotRuns()).toBe(snapshotBefore);

    const logs = { 'ledger-service': h.logLines, 'assignment-worker': h.workerLogLines, housekeeping: h.housekeepingLogLines };
    for (const [name, lines] of Object.entries(logs)) {
      for (const line of lines) {
        expect(line, `${name} log leaks the planted secret`).not.toContain(PLANTED_SECRET_WORD);
        expect(line, `${name} log echoes a raw payload`).not.toContain(PAYLOAD_MARKER);
        expect(line.length, `${name} log line length`).toBeLessThan(8_192);
      }
    }

    // business as usual: a real dispatch → executed → completed with correct counters
    const d = await h.dispatch('assignments.restore', 0);
    expect(d.disposition).toBe('created');
    const done = await h.waitCompleted(d.run.id);
    expect(done).toMatchObject({
      status: 'completed',
      outcome: 'succeeded',
      summary_counts: { total: 3, processed: 3, failed: 0 },
      failure_summary: [],
    });
    figures.durationsMs['total'] = Date.now() - started;
  }, 120_000);
});
