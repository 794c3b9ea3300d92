import { randomBytes, randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { FAILURE_CODE_LIST } from '@ops/contracts';
import { sleep, useLedgerHarness } from '@ops/test-support';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * list_runs by time range, outcome, failure code and initiator (issue #21
 * item 6). A workspace of runs written straight into the table (as its owner,
 * with chosen created_at, outcome, failures and initiator) plus one run the
 * ledger itself completed with failures — so the failure-code match is proven
 * against the failure_summary the ledger writes, not only a hand-made one.
 * Every answer is compared with the same filter applied to that list in
 * JavaScript (`expected`), newest first, id descending on a tie.
 */
const h = useLedgerHarness({}, { tenants: 1, policiesPerTenant: 1 });

interface Seeded {
  readonly id: string;
  readonly createdAt: string;
  readonly outcome: string;
  readonly codes: readonly string[];
  readonly initiator: string;
}

const T0 = Date.parse('2025-03-01T00:00:00Z');
const hour = (n: number) => new Date(T0 + n * 3_600_000).toISOString();

/** name → [hour of created_at, outcome, failure codes, initiator]; g and i share their created_at (a keyset tie) */
const PLAN: Record<string, readonly [number, string, readonly string[], string]> = {
  a: [0, 'succeeded', [], 'alice'],
  b: [1, 'failed', ['graph.throttled'], 'alice'],
  c: [2, 'partially_succeeded', ['graph.not_found', 'graph.throttled'], 'bob'],
  d: [3, 'failed', ['run.stale'], 'bob'],
  e: [4, 'pending', [], 'alice'],
  f: [5, 'cancelled', [], 'carol'],
  g: [6, 'failed', ['graph.throttled'], 'alice'],
  i: [6, 'failed', ['graph.throttled'], 'alice'],
  k: [7, 'failed', ['graph.throttled'], 'Alice'],
};
const runs = new Map<string, Seeded>();
/** the run the ledger completed itself (initiator 'dave', graph.forbidden × 2) */
let ledgerRun: Seeded;
/** a run of the other workspace that every filter of these tests would match */
let foreignId: string;
let otherWorkspace: string;

const ws = () => h.seed.workspace.id;

async function insert(
  workspaceId: string,
  tenantId: string,
  createdAt: string,
  outcome: string,
  codes: readonly string[],
  initiator: string,
) {
  const id = randomUUID();
  const completed = outcome !== 'pending';
  const failures = codes.map((code, n) => ({ code, message: `failure ${n + 1}`, count: n + 1 }));
  await h.sql(
    `INSERT INTO operation_runs (id, workspace_id, tenant_id, initiator_name, type, status, outcome, run_identity_hash,
                                 failure_summary, completed_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4, 'assignments.fetch', $5, $6, $7, $8::jsonb, $9, $10, $10)`,
    [
      id,
      workspaceId,
      tenantId,
      initiator,
      completed ? 'completed' : 'queued',
      outcome,
      randomBytes(32).toString('hex'),
      JSON.stringify(failures),
      completed ? createdAt : null,
      createdAt,
    ],
  );
  return id;
}

beforeAll(async () => {
  const tenant = h.seed.tenants[0]!.id;
  for (const [name, [at, outcome, codes, initiator]] of Object.entries(PLAN)) {
    const id = await insert(ws(), tenant, hour(at), outcome, codes, initiator);
    runs.set(name, { id, createdAt: hour(at), outcome, codes, initiator });
  }
  const [other] = await h.sql<{ workspace_id: string; tenant_id: string }>(
    "SELECT w.id AS workspace_id, t.id AS tenant_id FROM workspaces w JOIN tenants t ON t.workspace_id = w.id WHERE w.slug = 'other'",
  );
  otherWorkspace = other!.workspace_id;
  foreignId = await insert(otherWorkspace, other!.tenant_id, hour(6), 'failed', ['graph.throttled'], 'alice');

  // the ledger's own write path: ensure_run, then a worker's started + completed events with failures
  const { run } = await h.client.ensureRun({
    workspace_id: ws(),
    tenant_id: tenant,
    type: 'assignments.restore',
    initiator: { name: 'dave' },
  });
  const js = jetstream(h.nc);
  const base = { v: 1, run_id: run.id, workspace_id: ws(), attempt: 1, at: new Date().toISOString() };
  await js.publish(h.names.ledgerEventSubject('started'), JSON.stringify({ ...base, kind: 'started', seq: 0 }), {
    msgID: `${run.id}.1.0`,
  });
  await js.publish(
    h.names.ledgerEventSubject('completed'),
    JSON.stringify({
      ...base,
      kind: 'completed',
      seq: 1,
      outcome: 'failed',
      counts: { total: 2, processed: 0, failed: 2 },
      failures: [{ code: 'graph.forbidden', message: 'Graph refused access', count: 2 }],
    }),
    { msgID: `${run.id}.1.1` },
  );
  // hooks cannot use expect.poll
  const deadline = Date.now() + 10_000;
  while ((await h.client.getRun({ workspace_id: ws(), run_id: run.id })).status !== 'completed') {
    if (Date.now() > deadline) throw new Error('the ledger did not complete the run within 10 s');
    await sleep(100);
  }
  ledgerRun = { id: run.id, createdAt: run.created_at, outcome: 'failed', codes: ['graph.forbidden'], initiator: 'dave' };
});

type Reply =
  | { ok: true; runs: Array<{ id: string }>; next_cursor: string | null }
  | { ok: false; error: { code: string; issues: string[] } };

async function ask(body: Record<string, unknown>): Promise<Reply> {
  const reply = await h.nc.request(h.names.ledgerApiSubject('list_runs'), JSON.stringify({ workspace_id: ws(), ...body }), {
    timeout: 10_000,
  });
  return reply.json<Reply>();
}

/** every page of a filtered listing, checking each reply; the ids in order and the number of pages */
async function listAll(filter: Record<string, unknown>, limit = 50): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const reply = await ask({ ...filter, limit, ...(cursor ? { cursor } : {}) });
    if (!reply.ok) throw new Error(`list_runs refused ${JSON.stringify(filter)}: ${JSON.stringify(reply.error)}`);
    expect(reply.runs.length).toBeLessThanOrEqual(limit);
    ids.push(...reply.runs.map((r) => r.id));
    cursor = reply.next_cursor;
    pages += 1;
  } while (cursor !== null && pages < 50);
  return { ids, pages };
}

/** the seeded runs the filter keeps, newest first (id descending on a tie) */
function expected(keep: (r: Seeded) => boolean): string[] {
  return [...runs.values(), ledgerRun]
    .filter(keep)
    .sort((x, y) => y.createdAt.localeCompare(x.createdAt) || y.id.localeCompare(x.id))
    .map((r) => r.id);
}
const named = (...names: string[]) => names.map((n) => runs.get(n)!.id);

describe('list_runs filters', () => {
  it('outcome: failed → b, d, g, i, k and the ledger-completed run; cancelled → f; pending → e; each excludes the rest', async () => {
    for (const outcome of ['failed', 'cancelled', 'pending', 'succeeded', 'partially_succeeded']) {
      const { ids } = await listAll({ outcome });
      expect(ids, outcome).toEqual(expected((r) => r.outcome === outcome));
    }
    expect(new Set((await listAll({ outcome: 'failed' })).ids)).toEqual(new Set([...named('b', 'd', 'g', 'i', 'k'), ledgerRun.id]));
    expect((await listAll({ outcome: 'cancelled' })).ids).toEqual(named('f'));
  });

  it('failure_code: an entry of that code anywhere in failure_summary; a registered code no run has → none', async () => {
    const throttled = await listAll({ failure_code: 'graph.throttled' });
    // c has graph.throttled as its second entry, with another message and count
    expect(new Set(throttled.ids)).toEqual(new Set(named('b', 'c', 'g', 'i', 'k')));
    expect(throttled.ids).toEqual(expected((r) => r.codes.includes('graph.throttled')));
    expect((await listAll({ failure_code: 'run.stale' })).ids).toEqual(named('d'));
    expect((await listAll({ failure_code: 'graph.timeout' })).ids).toEqual([]);
  });

  it('failure_code matches the failure_summary the ledger wrote from a completed event', async () => {
    const [row] = await h.sql<{ failure_summary: unknown }>('SELECT failure_summary FROM operation_runs WHERE id = $1', [ledgerRun.id]);
    expect(row!.failure_summary).toEqual([{ code: 'graph.forbidden', message: 'Graph refused access', count: 2 }]);
    expect((await listAll({ failure_code: 'graph.forbidden' })).ids).toEqual([ledgerRun.id]);
  });

  it("initiator: exact match — 'alice' is not 'Alice', nor a prefix; an unknown name → none", async () => {
    expect((await listAll({ initiator: 'alice' })).ids).toEqual(named('i', 'g', 'e', 'b', 'a').sort(byListOrder));
    expect((await listAll({ initiator: 'Alice' })).ids).toEqual(named('k'));
    expect((await listAll({ initiator: 'ali' })).ids).toEqual([]);
    expect((await listAll({ initiator: 'dave' })).ids).toEqual([ledgerRun.id]);
  });

  it('created_after (inclusive) and created_before (exclusive) bound the range: [02:00, 06:00) → c, d, e, f', async () => {
    const { ids } = await listAll({ created_after: hour(2), created_before: hour(6) });
    expect(ids).toEqual(named('f', 'e', 'd', 'c'));
    // an offset is the same instant: 03:00+01:00 is 02:00Z
    expect((await listAll({ created_after: '2025-03-01T03:00:00+01:00', created_before: hour(3) })).ids).toEqual(named('c'));
    expect((await listAll({ created_after: hour(8), created_before: hour(9) })).ids).toEqual([]);
  });

  it('filters combine (AND): failed + graph.throttled + alice from 01:00 → i, g, b — not k (Alice), not c (bob), not the other workspace', async () => {
    const filter = { outcome: 'failed', failure_code: 'graph.throttled', initiator: 'alice', created_after: hour(1) };
    const { ids } = await listAll(filter);
    expect(ids).toEqual(named('i', 'g', 'b').sort(byListOrder));
    expect(ids).not.toContain(foreignId);
    const narrower = await listAll({ ...filter, created_before: hour(6) });
    expect(narrower.ids).toEqual(named('b'));
    expect((await listAll({ ...filter, outcome: 'partially_succeeded' })).ids).toEqual([]);
  });

  it('paging with filters: limit 1 and 2 walk the same runs as one page, once each, across the created_at tie of g and i', async () => {
    const filters: Array<Record<string, unknown>> = [
      { outcome: 'failed' },
      { failure_code: 'graph.throttled', initiator: 'alice' },
      { created_after: hour(1), created_before: hour(7), outcome: 'failed' },
      { initiator: 'alice' },
    ];
    for (const filter of filters) {
      const whole = await listAll(filter, 500);
      expect(whole.pages).toBe(1);
      for (const limit of [1, 2]) {
        const paged = await listAll(filter, limit);
        expect(paged.ids, `${JSON.stringify(filter)} limit ${limit}`).toEqual(whole.ids);
        expect(paged.pages).toBe(Math.max(1, Math.ceil(whole.ids.length / limit)));
      }
    }
    // the tie: both g and i on the filtered pages of one run each, in id order
    const tie = await listAll({ created_after: hour(6), created_before: hour(7) }, 1);
    expect(tie.ids).toEqual(named('g', 'i').sort(byListOrder));
  });

  it('another workspace sees only its own runs under the same filters', async () => {
    const reply = await ask({ workspace_id: otherWorkspace, failure_code: 'graph.throttled', initiator: 'alice', outcome: 'failed' });
    expect(reply.ok && reply.runs.map((r) => r.id)).toEqual([foreignId]);
  });

  it('every code of the failure-code registry is accepted (a code added there needs no change here)', async () => {
    for (const code of FAILURE_CODE_LIST) {
      const reply = await ask({ failure_code: code, limit: 1 });
      expect(reply.ok, code).toBe(true);
    }
  });

  it('bad filters are bad_request naming the field: unknown outcome or code, bad date, initiator empty or over 200 characters', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ outcome: 'done' }, 'outcome'],
      [{ outcome: 'FAILED' }, 'outcome'],
      [{ outcome: null }, 'outcome'],
      [{ failure_code: 'graph.nope' }, 'failure_code'],
      [{ failure_code: 'GRAPH.THROTTLED' }, 'failure_code'],
      [{ failure_code: '' }, 'failure_code'],
      [{ failure_code: ['graph.throttled'] }, 'failure_code'],
      [{ created_after: 'yesterday' }, 'created_after'],
      [{ created_before: '2025-02-30T00:00:00Z' }, 'created_before'],
      [{ created_after: '2025-03-01T00:00:00' }, 'created_after'],
      [{ initiator: '' }, 'initiator'],
      [{ initiator: 'x'.repeat(201) }, 'initiator'],
      [{ initiator: 'a\u0000b' }, 'initiator'],
      [{ initiator: 5 }, 'initiator'],
    ];
    for (const [body, field] of cases) {
      const reply = await ask(body);
      expect(reply.ok, JSON.stringify(body)).toBe(false);
      if (reply.ok) continue;
      expect(reply.error.code).toBe('bad_request');
      expect(
        reply.error.issues.some((i) => i.startsWith(`${field}:`)),
        JSON.stringify(reply.error),
      ).toBe(true);
    }
    // the longest initiator is fine
    expect((await ask({ initiator: 'x'.repeat(200) })).ok).toBe(true);
  });
});

/** list order of ids that share nothing but the seed: created_at descending, then id descending */
function byListOrder(x: string, y: string): number {
  const rx = [...runs.values()].find((r) => r.id === x)!;
  const ry = [...runs.values()].find((r) => r.id === y)!;
  return ry.createdAt.localeCompare(rx.createdAt) || y.localeCompare(x);
}
