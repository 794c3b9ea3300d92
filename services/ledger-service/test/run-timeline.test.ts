import { randomUUID } from 'node:crypto';
import { type JetStreamClient, jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  type GetRunTimelineReplyV1,
  type GetRunTimelineRequestInputV1,
  getRunTimelineReplyV1,
  type LedgerEventV1,
  type OpsError,
  type RunV1,
  runEventMsgId,
  type TimelineEntryV1,
} from '@ops/contracts';
import { requestService } from '@ops/ledger-client';
import { consumerDrained, useLedgerHarness } from '@ops/test-support';
import { beforeAll, describe, expect, it } from 'vitest';

// issue #21 item 6: a run's timeline — events per attempt, refusals worth seeing, heals, duplicates, operator actions
const h = useLedgerHarness();
let js: JetStreamClient;
beforeAll(() => {
  js = jetstream(h.nc);
});

// event times an hour in the past: the ledger clamps event times to its own clock
const base = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
const at = (s: number) => new Date(base + s * 1000).toISOString();

function timeline(request: GetRunTimelineRequestInputV1, raw?: unknown): Promise<GetRunTimelineReplyV1> {
  return requestService(
    h.nc,
    {
      subject: h.names.ledgerApiSubject('get_run_timeline'),
      service: 'the ledger service',
      group: 'ops.ledger.api',
      what: 'get_run_timeline',
    },
    raw ?? request,
    getRunTimelineReplyV1,
    5_000,
  );
}

async function allEntries(run: RunV1, limit: number): Promise<{ entries: TimelineEntryV1[]; pages: number }> {
  const entries: TimelineEntryV1[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await timeline({ workspace_id: run.workspace_id, run_id: run.id, limit, ...(cursor ? { cursor } : {}) });
    entries.push(...page.entries);
    pages += 1;
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return { entries, pages };
}

async function newRun(): Promise<RunV1> {
  const reply = await h.client.ensureRun({
    workspace_id: h.seed.workspace.id,
    tenant_id: h.seed.tenants[0]!.id,
    type: 'assignments.fetch',
    run_id: randomUUID(),
    initiator: { name: 'test' },
  });
  return reply.run;
}

async function publish(events: readonly LedgerEventV1[], msgId: (e: LedgerEventV1) => string = runEventMsgId): Promise<void> {
  for (const e of events) await js.publish(h.names.ledgerEventSubject(e.kind), JSON.stringify(e), { msgID: msgId(e) });
}

async function settled(): Promise<void> {
  await consumerDrained(h.nc, h.names.streams.ledger, h.names.consumers.ledgerEvents);
}

/** attempt 1 stalls, attempt 2 takes over (a late event of attempt 1 is refused), housekeeping heals, attempt 2's real completion lands late */
function story(run: RunV1): LedgerEventV1[] {
  const ids = { v: 1 as const, run_id: run.id, workspace_id: run.workspace_id };
  const a1 = { ...ids, attempt: 1, owner: 'worker-a' };
  const a2 = { ...ids, attempt: 2, owner: 'worker-b' };
  return [
    { ...a1, kind: 'started', seq: 0, at: at(10) },
    { ...a1, kind: 'progress', seq: 1, at: at(11), counts: { total: 3, processed: 1, failed: 0 } },
    { ...a2, kind: 'started', seq: 0, at: at(20) },
    // the zombie: attempt 1 still reporting after attempt 2 started
    { ...a1, kind: 'progress', seq: 2, at: at(12), counts: { total: 3, processed: 2, failed: 0 } },
    { ...a2, kind: 'progress', seq: 1, at: at(21), counts: { total: 3, processed: 1, failed: 0 } },
    {
      ...ids,
      attempt: 3,
      owner: 'housekeeping',
      kind: 'completed',
      seq: 0,
      at: at(30),
      outcome: 'failed',
      counts: { total: 3, processed: 1, failed: 0 },
      failures: [{ code: 'run.stale', message: 'no heartbeat', count: 1 }],
      heal: true,
    },
    // the real completion, applied after the heal (the ledger lagged): it replaces the heal
    { ...a2, kind: 'completed', seq: 2, at: at(29), outcome: 'succeeded', counts: { total: 3, processed: 3, failed: 0 }, failures: [] },
  ];
}

describe('get_run_timeline', () => {
  let run: RunV1;
  let actionId: string;

  beforeAll(async () => {
    run = await newRun();
    await publish(story(run));
    await settled();
    await h.client.recordDuplicate({ workspace_id: run.workspace_id, run_id: run.id, reason: 'already_completed' });
    // an operator action, as the ledger's admin endpoints record it (another writer of run_actions)
    actionId = randomUUID();
    await h.sql(
      `INSERT INTO run_actions (id, workspace_id, run_id, action, actor, reason, at, detail)
       VALUES ($1, $2, $3, 'rerun', 'alice', 'customer asked', $4, '{"new_run_id": "r2", "actor": "mallory"}')`,
      [actionId, run.workspace_id, run.id, at(35)],
    );
  });

  it('two attempts, a refused zombie event, a heal, the late real completion, an action and a duplicate: in time order', async () => {
    const { entries } = await allEntries(run, 200);
    expect(entries.map((e) => [e.kind, e.attempt, e.seq])).toEqual([
      ['started', 1, 0],
      ['progress', 1, 1],
      ['progress', 1, 2],
      ['started', 2, 0],
      ['progress', 2, 1],
      ['completed', 2, 2],
      ['heal', 3, 0],
      ['action', null, null],
      ['duplicate', null, null],
    ]);
    expect(entries[0]).toMatchObject({ at: at(10), detail: { owner: 'worker-a' } });
    expect(entries[1]!.detail).toMatchObject({ counts: { total: 3, processed: 1, failed: 0 } });
    expect(entries[1]!.detail['stream_seq']).toEqual(expect.any(Number));
    // refused, and says why; the applied ones carry no `ignored`
    expect(entries[2]!.detail['ignored']).toBe('stale_attempt');
    expect(entries.filter((e) => e.detail['ignored'] !== undefined)).toHaveLength(1);
    expect(entries[5]!.detail).toMatchObject({ outcome: 'succeeded', counts: { total: 3, processed: 3, failed: 0 }, owner: 'worker-b' });
    expect(entries[6]!.detail).toMatchObject({ outcome: 'failed', failures: [{ code: 'run.stale' }], owner: 'housekeeping' });
    // the action: who, why, what it did — a detail key never replaces the actor
    expect(entries[7]).toMatchObject({
      at: at(35),
      detail: { action: 'rerun', actor: 'alice', reason: 'customer asked', new_run_id: 'r2' },
    });
    expect(entries[8]!.detail).toEqual({ reason: 'already_completed' });
    // the run itself: the real completion won over the heal
    const now = await h.client.getRun({ workspace_id: run.workspace_id, run_id: run.id });
    expect(now).toMatchObject({ outcome: 'succeeded', attempt: 2, dedupe_hits: 1 });
  });

  it('pages of 2 hand back every entry once, in the same order', async () => {
    const whole = await allEntries(run, 200);
    const paged = await allEntries(run, 2);
    expect(paged.pages).toBe(5);
    expect(paged.entries).toEqual(whole.entries);
  });

  it('re-published and redelivered events add no entry (one entry per event: its first decision)', async () => {
    const before = (await allEntries(run, 200)).entries;
    // the same events again under new msg ids: new stream sequences, all refused
    await publish(story(run), (e) => `${runEventMsgId(e)}.again`);
    await settled();
    // a full redelivery of the stream: the durable consumer is gone, a new ledger replays it from the start
    await h.service.stopIntake();
    await h.service.close();
    const jsm = await jetstreamManager(h.nc);
    await jsm.consumers.delete(h.names.streams.ledger, h.names.consumers.ledgerEvents);
    h.service = await h.startService();
    await settled();
    expect((await allEntries(run, 200)).entries).toEqual(before);
    const [count] = await h.sql<{ n: number }>('SELECT count(*)::int AS n FROM run_events WHERE run_id = $1', [run.id]);
    expect(count!.n).toBe(8);
  });

  it('a queued run has an empty timeline; another workspace does not see the run', async () => {
    const queued = await newRun();
    expect(await timeline({ workspace_id: queued.workspace_id, run_id: queued.id })).toEqual({ ok: true, entries: [], next_cursor: null });
    const [other] = await h.sql<{ id: string }>("SELECT id FROM workspaces WHERE slug = 'other'");
    const err = await timeline({ workspace_id: other!.id, run_id: run.id }).catch((e: unknown) => e);
    expect((err as OpsError).code).toBe('not_found');
    const unknown = await timeline({ workspace_id: run.workspace_id, run_id: randomUUID() }).catch((e: unknown) => e);
    expect((unknown as OpsError).code).toBe('not_found');
  });

  it.each([
    ['a limit of 0', { limit: 0 }],
    ['a limit over 1000', { limit: 1001 }],
    ['an unknown key', { since: 'yesterday' }],
    ['a cursor that was never handed out', { cursor: Buffer.from('["2026-01-01T00:00:00Z","x"]').toString('base64url') }],
    [
      'a cursor with a date PostgreSQL refuses',
      { cursor: Buffer.from('["0000-01-01T00:00:00Z","00000000000000000001"]').toString('base64url') },
    ],
    ['a run id that is no uuid', { run_id: 'run-1' }],
  ])('refuses %s as a bad request', async (_label, patch) => {
    const err = await timeline({} as GetRunTimelineRequestInputV1, {
      workspace_id: run.workspace_id,
      run_id: run.id,
      ...patch,
    }).catch((e: unknown) => e);
    expect((err as OpsError).code).toBe('bad_request');
  });
});
