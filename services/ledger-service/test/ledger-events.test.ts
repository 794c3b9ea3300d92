import { randomUUID } from 'node:crypto';
import { type JetStreamClient, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers } from '@nats-io/nats-core';
import { HEADERS, type LedgerEventV1, type RunV1, runEventMsgId } from '@ops/contracts';
import { consumerDrained, useLedgerHarness } from '@ops/test-support';
import { beforeAll, describe, expect, it } from 'vitest';

const h = useLedgerHarness({ LEDGER_MAX_EVENT_BYTES: '4096' });
let js: JetStreamClient;
beforeAll(() => {
  js = jetstream(h.nc);
});

// event times an hour in the past: the ledger clamps completion times to its own clock
const base = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
const at = (s: number) => new Date(base + s * 1000).toISOString();

async function newRun(): Promise<RunV1> {
  const reply = await h.client.ensureRun({
    workspace_id: h.seed.workspace.id,
    tenant_id: h.seed.tenants[0]!.id,
    type: 'assignments.fetch',
    // the caller's run id is the identity: a fresh run per test
    run_id: randomUUID(),
    initiator: { name: 'test' },
  });
  expect(reply.disposition).toBe('created');
  return reply.run;
}

function attemptEvents(
  run: RunV1,
  attempt: number,
  counts: Array<[number, number, number]>,
  final: [number, number, number] | null,
): LedgerEventV1[] {
  const base = { v: 1 as const, run_id: run.id, workspace_id: run.workspace_id, attempt, owner: `worker-${attempt}` };
  const events: LedgerEventV1[] = [{ ...base, kind: 'started', seq: 0, at: at(attempt * 10) }];
  for (const [i, [total, processed, failed]] of counts.entries()) {
    events.push({ ...base, kind: 'progress', seq: i + 1, at: at(attempt * 10 + i + 1), counts: { total, processed, failed } });
  }
  if (final) {
    const [total, processed, failed] = final;
    events.push({
      ...base,
      kind: 'completed',
      seq: counts.length + 1,
      at: at(attempt * 10 + 9),
      outcome: failed > 0 ? 'partially_succeeded' : 'succeeded',
      counts: { total, processed, failed },
      failures: failed > 0 ? [{ code: 'graph.not_found', message: 'policy gone', count: failed }] : [],
    });
  }
  return events;
}

async function publish(events: readonly LedgerEventV1[], options: { sameMsgId?: boolean } = {}) {
  for (const e of events) {
    // a unique msg id unless the test wants JetStream's own dedupe to kick in
    const msgID = options.sameMsgId === false ? `${runEventMsgId(e)}.${Math.random()}` : runEventMsgId(e);
    await js.publish(h.names.ledgerEventSubject(e.kind), JSON.stringify(e), { msgID });
  }
}

async function settled(run: RunV1): Promise<RunV1> {
  // wait until the consumer has nothing pending
  await consumerDrained(h.nc, h.names.streams.ledger, h.names.consumers.ledgerEvents);
  return h.client.getRun({ workspace_id: run.workspace_id, run_id: run.id });
}

describe('ledger event application', () => {
  it('started → progress → completed lands the counters, outcome and failures', async () => {
    const run = await newRun();
    await publish(
      attemptEvents(
        run,
        1,
        [
          [3, 1, 0],
          [3, 2, 0],
        ],
        [3, 2, 1],
      ),
    );
    const row = await settled(run);
    expect(row).toMatchObject({
      status: 'completed',
      outcome: 'partially_succeeded',
      attempt: 1,
      summary_counts: { total: 3, processed: 2, failed: 1 },
      failure_summary: [{ code: 'graph.not_found', message: 'policy gone', count: 1 }],
    });
    expect(row.started_at).toBe(at(10));
    expect(row.completed_at).toBe(at(19));
  });

  it("duplicated, reordered and older-attempt-after-newer events: the final attempt's counters win", async () => {
    const run = await newRun();
    const a1 = attemptEvents(
      run,
      1,
      [
        [5, 2, 0],
        [5, 4, 0],
      ],
      null,
    ); // attempt 1 dies mid-run
    const a2 = attemptEvents(run, 2, [[5, 3, 0]], [5, 5, 0]);
    // newer attempt first, then the older one's events late, with duplicates (distinct msg ids so JetStream keeps them)
    await publish([a2[1]!, a2[0]!, a1[0]!, a2[2]!, a1[1]!, a1[2]!, a2[1]!, a1[0]!], { sameMsgId: false });
    const row = await settled(run);
    expect(row).toMatchObject({
      status: 'completed',
      outcome: 'succeeded',
      attempt: 2,
      summary_counts: { total: 5, processed: 5, failed: 0 },
      failure_summary: [],
    });
  });

  it("a running run shows the current attempt's progress, never a sum across attempts", async () => {
    const run = await newRun();
    await publish([...attemptEvents(run, 1, [[4, 3, 1]], null), ...attemptEvents(run, 2, [[4, 1, 0]], null)]);
    const row = await settled(run);
    expect(row).toMatchObject({ status: 'running', outcome: 'pending', attempt: 2, summary_counts: { total: 4, processed: 1, failed: 0 } });
  });

  it('applying the whole event log twice changes nothing', async () => {
    const jsm = await jetstreamManager(h.nc);
    const before = await h.client.listRuns({ workspace_id: h.seed.workspace.id, limit: 500 });
    // replay every stored event with fresh msg ids (as a stream restore or a buggy producer would)
    const info = await jsm.streams.info(h.names.streams.ledger);
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq += 1) {
      const stored = await jsm.streams.getMessage(h.names.streams.ledger, { seq });
      if (!stored) continue;
      const hdr = headers();
      hdr.set(HEADERS.msgId, `replay.${seq}`);
      await js.publish(stored.subject, stored.data, { headers: hdr });
    }
    await settled(before.runs[0]!);
    const after = await h.client.listRuns({ workspace_id: h.seed.workspace.id, limit: 500 });
    const strip = (runs: RunV1[]) => runs.map(({ updated_at: _u, ...rest }) => rest);
    expect(strip(after.runs)).toEqual(strip(before.runs));
  });

  it('a completed run is closed: a late started/progress of the same attempt changes nothing', async () => {
    const run = await newRun();
    const events = attemptEvents({ ...run }, 7, [[2, 1, 0]], [2, 2, 0]);
    await publish(events);
    const done = await settled(run);
    await publish([{ ...events[1]!, seq: 50, at: at(99) } as LedgerEventV1], { sameMsgId: false });
    const again = await settled(run);
    expect(again.summary_counts).toEqual(done.summary_counts);
    expect(again.status).toBe('completed');
  });
});

describe('invalid ledger messages', () => {
  const cases: Array<[string, () => Promise<Uint8Array | string>, string]> = [
    ['wrong schema', async () => JSON.stringify({ hello: 'world' }), 'schema_invalid'],
    [
      'wrong types',
      async () => JSON.stringify({ v: 1, kind: 'started', run_id: 42, workspace_id: true, attempt: '1', seq: 0, at: 'yesterday' }),
      'schema_invalid',
    ],
    ['not JSON', async () => '{"kind": started', 'invalid_json'],
    ['invalid UTF-8', async () => new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]), 'invalid_encoding'],
    ['oversized', async () => JSON.stringify({ v: 1, pad: 'x'.repeat(10_000) }), 'oversized'],
    [
      'an unknown run',
      async () =>
        JSON.stringify({
          v: 1,
          kind: 'started',
          run_id: '5c7f9c1e-2a3b-4c5d-8e9f-0a1b2c3d4e5f',
          workspace_id: h.seed.workspace.id,
          attempt: 1,
          seq: 0,
          at: at(1),
        }),
      'unknown_run',
    ],
    [
      "another workspace's run",
      async () => {
        const run = await newRun();
        return JSON.stringify({
          v: 1,
          kind: 'started',
          run_id: run.id,
          workspace_id: '5c7f9c1e-2a3b-4c5d-8e9f-0a1b2c3d4e5f',
          attempt: 1,
          seq: 0,
          at: at(1),
        });
      },
      'unknown_run',
    ],
  ];

  it.each(cases)('%s → copied to OPS_DLQ with a reason, terminated, and the service keeps answering', async (name, payload, reason) => {
    const data = await payload();
    const ack = await js.publish(h.names.ledgerEventSubject('started'), data, { msgID: `bad.${name}` });
    const jsm = await jetstreamManager(h.nc);
    await expect
      .poll(
        async () => {
          try {
            const m = await jsm.streams.getMessage(h.names.streams.dlq, { last_by_subj: h.names.dlqSubject('ledger') });
            return m?.header.get(HEADERS.dlqOriginSeq);
          } catch {
            return undefined;
          }
        },
        { timeout: 10_000 },
      )
      .toBe(String(ack.seq));
    const letter = await jsm.streams.getMessage(h.names.streams.dlq, { last_by_subj: h.names.dlqSubject('ledger') });
    expect(letter!.header.get(HEADERS.dlqReason)).toBe(reason);
    expect(letter!.header.get(HEADERS.dlqOriginStream)).toBe(h.names.streams.ledger);
    // the service still answers
    const runs = await h.client.listRuns({ workspace_id: h.seed.workspace.id, limit: 1 });
    expect(runs.runs).toHaveLength(1);
    await h.client.getRun({ workspace_id: h.seed.workspace.id, run_id: runs.runs[0]!.id });
  });

  it('counts what it dead-lettered and applied on /metrics', async () => {
    const res = await fetch(`http://127.0.0.1:${h.service.http.port}/metrics`);
    const text = await res.text();
    expect(text).toMatch(/ops_ledger_dead_letters_total\{[^}]*reason="schema_invalid"[^}]*\} [1-9]/);
    expect(text).toMatch(/ops_ledger_events_total\{[^}]*result="applied"[^}]*\} [1-9]/);
  });
});
