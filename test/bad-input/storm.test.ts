import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import type { AssignmentWorker } from '@ops/assignment-worker/app';
import { HEADERS, LEDGER_API_ENDPOINTS, type LedgerApiEndpoint, type LedgerEventV1, type RunV1, runEventMsgId } from '@ops/contracts';
import type { Housekeeping } from '@ops/housekeeping/app';
import { sleep, useHousekeepingStack } from '@ops/test-support';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anyInstant,
  BAD_COUNTS,
  BAD_DATES,
  BAD_FAILURES,
  BAD_UUIDS,
  BASE_SEED,
  garbage,
  type Hostile,
  hex64Arb,
  json,
  mutated,
  PAYLOAD_MARKER,
  PLANTED_SECRET,
  PLANTED_SECRET_WORD,
  SCALE,
  uuid4,
} from './generators.ts';

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
const LEDGER_MAX_EVENT_BYTES = 16 * 1024; // the defaults of services/ledger-service/src/config.ts
const LEDGER_MAX_REQUEST_BYTES = 64 * 1024;
const HOUSEKEEPING_MAX_REQUEST_BYTES = 4096; // services/housekeeping/src/handlers/api.ts
const JOB_MAX_BYTES = 64 * 1024; // services/assignment-worker/src/handlers/process-job.ts

const COUNTS = {
  events: 6000 * SCALE,
  jobs: 1500 * SCALE,
  apiPerEndpoint: 600 * SCALE,
  housekeeping: 800 * SCALE,
};

const h = useHousekeepingStack({ tenants: 2, policiesPerTenant: 3 });
const enc = new TextEncoder();
const dec = new TextDecoder();

interface Letter {
  readonly reason: string;
  readonly detail: string;
  readonly subject: string;
  readonly truncated: boolean;
}
/** every dead letter of this prefix, by `<origin stream>:<origin seq>` (a core subscription to ops.dlq.>) */
const letters = new Map<string, Letter>();

/** Runs the test creates legitimately before the storm (and their owners' ids). */
interface Fixtures {
  ws: string;
  tenant0: string;
  tenant1: string;
  otherWs: string;
  otherTenant: string;
  otherPolicy: string;
  policies0: string[];
  /** completed through a real dispatch (attempt 1) */
  r1: RunV1;
  /** completed at attempt 2 by events the test published */
  r3: RunV1;
  /** running at attempt 3, seq 5 */
  r2: RunV1;
  /** queued, never executed (no job) */
  r0: RunV1;
  /** a queued run of the other workspace */
  rx: RunV1;
}
let fx: Fixtures;
let worker: AssignmentWorker;
let hk: Housekeeping;
let jsm: JetStreamManager;
let snapshotBefore: string;
const started = Date.now();

/** figures for docs/reliability-bad-input.md (printed at the end) */
const figures = {
  sent: {} as Record<string, number>,
  outcomes: {} as Record<string, Record<string, number>>,
  dlqReasons: {} as Record<string, number>,
  ignoreReasons: {} as Record<string, number>,
  durationsMs: {} as Record<string, number>,
  knownIssues: {} as Record<string, number>,
};
const bump = (rec: Record<string, number>, key: string, by = 1) => {
  rec[key] = (rec[key] ?? 0) + by;
};
/** the outcome counts of one key, created on first use */
const outcomesOf = (key: string): Record<string, number> => {
  const rec = figures.outcomes[key] ?? {};
  figures.outcomes[key] = rec;
  return rec;
};
const tally = (target: string, outcome: string) => bump(outcomesOf(target), outcome);

async function snapshotRuns(): Promise<string> {
  const rows = await h.sql<Record<string, unknown>>('SELECT * FROM operation_runs ORDER BY id');
  return JSON.stringify(rows);
}

/** Runs a fast-check property over chunks; on failure the seed (not the huge counterexample) is reported. */
async function storm<T>(
  name: string,
  seedOffset: number,
  arb: fc.Arbitrary<T>,
  total: number,
  chunk: number,
  check: (items: T[]) => Promise<void>,
): Promise<void> {
  const seed = BASE_SEED + seedOffset;
  const t0 = Date.now();
  const details = await fc.check(
    fc.asyncProperty(fc.array(arb, { minLength: chunk, maxLength: chunk }), async (items) => {
      await check(items);
    }),
    { seed, numRuns: Math.ceil(total / chunk), endOnFailure: true },
  );
  figures.durationsMs[name] = Date.now() - t0;
  if (details.failed) {
    const err = details.errorInstance as Error | undefined;
    throw new Error(
      `bad-input storm "${name}" failed (BAD_INPUT_SEED=${BASE_SEED}, property seed ${details.seed}, run ${details.numRuns}): ${err?.message ?? 'unknown'}`,
      { cause: err },
    );
  }
}

async function waitConsumerIdle(stream: string, consumer: string, lastSeq: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await jsm.consumers.info(stream, consumer);
    if (
      info.num_pending === 0 &&
      info.num_ack_pending === 0 &&
      info.delivered.stream_seq >= lastSeq &&
      info.ack_floor.stream_seq >= lastSeq
    )
      return;
    if (Date.now() > deadline)
      throw new Error(
        `${consumer} still busy: ${JSON.stringify({ pending: info.num_pending, ackPending: info.num_ack_pending, delivered: info.delivered, ackFloor: info.ack_floor, lastSeq })}`,
      );
    await sleep(25);
  }
}

async function waitLetters(keys: string[], timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (keys.some((k) => !letters.has(k)) && Date.now() < deadline) await sleep(20);
}

function checkLetter(letter: Letter, where: string): void {
  expect(letter.reason, where).toMatch(/^[a-z_]+$/);
  expect(letter.detail.length, where).toBeLessThanOrEqual(500);
  expect(letter.detail, where).not.toContain(PLANTED_SECRET_WORD);
  expect(letter.detail, where).not.toContain(PAYLOAD_MARKER);
}

// ───────────────────────── setup: the legitimate runs ─────────────────────────

const hourAgo = Date.now() - 3_600_000;
const at = (s: number) => new Date(hourAgo + s * 1000).toISOString();

/** expect.poll is not allowed in hooks */
async function until<T>(get: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v).slice(0, 500)}`);
    await sleep(100);
  }
}

async function publishLegit(event: LedgerEventV1): Promise<void> {
  await h.js.publish(h.names.ledgerEventSubject(event.kind), enc.encode(JSON.stringify(event)), { msgID: runEventMsgId(event) });
}

beforeAll(async () => {
  jsm = await jetstreamManager(h.nc);
  worker = await h.startWorker();
  hk = await h.startHousekeeping();
  const sub = h.nc.subscribe(h.names.dlqWildcard);
  void (async () => {
    for await (const m of sub) {
      const hd = m.headers;
      const key = `${hd?.get(HEADERS.dlqOriginStream)}:${hd?.get(HEADERS.dlqOriginSeq)}`;
      letters.set(key, {
        reason: hd?.get(HEADERS.dlqReason) ?? '',
        detail: hd?.get(HEADERS.dlqDetail) ?? '',
        subject: m.subject,
        truncated: hd?.get(HEADERS.dlqTruncated) === 'true',
      });
    }
  })();

  const [other] = await h.sql<{ id: string }>(`SELECT id FROM workspaces WHERE slug = 'other'`);
  const [otherTenant] = await h.sql<{ id: string }>('SELECT id FROM tenants WHERE workspace_id = $1', [other!.id]);
  const [otherPolicy] = await h.sql<{ id: string }>('SELECT id FROM policies WHERE tenant_id = $1', [otherTenant!.id]);
  const ws = h.seed.workspace.id;
  const tenant0 = h.seed.tenants[0]!.id;
  const tenant1 = h.seed.tenants[1]!.id;
  const policies0 = (await h.policies(0)).map((p) => p.id);
  const policies1 = (await h.policies(1)).map((p) => p.id);

  // r1: a real dispatch, executed by the worker
  const d1 = await h.dispatch('assignments.fetch', 0);
  const r1 = await until(
    () => h.getRun(d1.run.id),
    (r) => r.status === 'completed',
    'r1 completed',
  );
  expect(r1).toMatchObject({ outcome: 'succeeded', attempt: 1, summary_counts: { total: 3, processed: 3, failed: 0 } });

  const ensure = async (tenant: string, type: 'assignments.fetch' | 'assignments.restore', policyIds: string[], workspace = ws) =>
    (
      await h.client.ensureRun({
        workspace_id: workspace,
        tenant_id: tenant,
        type,
        inputs: { policy_ids: policyIds },
        initiator: { name: 'bad-input-test' },
      })
    ).run;
  // r3: completed at attempt 2 (attempt 1 started, then attempt 2 completed)
  const r3q = await ensure(tenant1, 'assignments.fetch', [policies1[0]!]);
  const base3 = { v: 1 as const, run_id: r3q.id, workspace_id: ws, owner: 'bad-input-test' };
  await publishLegit({ ...base3, kind: 'started', attempt: 1, seq: 0, at: at(1) });
  await publishLegit({ ...base3, kind: 'started', attempt: 2, seq: 0, at: at(2) });
  await publishLegit({ ...base3, kind: 'progress', attempt: 2, seq: 1, at: at(3), counts: { total: 1, processed: 1, failed: 0 } });
  await publishLegit({
    ...base3,
    kind: 'completed',
    attempt: 2,
    seq: 2,
    at: at(4),
    outcome: 'succeeded',
    counts: { total: 1, processed: 1, failed: 0 },
    failures: [],
  });
  // r2: running at attempt 3, seq 5
  const r2q = await ensure(tenant0, 'assignments.fetch', [policies0[0]!]);
  const base2 = { v: 1 as const, run_id: r2q.id, workspace_id: ws, owner: 'bad-input-test' };
  await publishLegit({ ...base2, kind: 'started', attempt: 3, seq: 0, at: at(1) });
  for (let seq = 1; seq <= 5; seq += 1)
    await publishLegit({ ...base2, kind: 'progress', attempt: 3, seq, at: at(1 + seq), counts: { total: 5, processed: seq, failed: 0 } });
  // r0: queued forever (no job); rx: queued in the other workspace
  const r0 = await ensure(tenant1, 'assignments.restore', [policies1[1]!]);
  const rx = await ensure(otherTenant!.id, 'assignments.fetch', [], other!.id);

  await until(
    () => h.getRun(r3q.id),
    (r) => r.status === 'completed',
    'r3 completed',
  );
  await until(
    () => h.getRun(r2q.id),
    (r) => r.summary_counts['processed'] === 5,
    'r2 at seq 5',
  );
  fx = {
    ws,
    tenant0,
    tenant1,
    otherWs: other!.id,
    otherTenant: otherTenant!.id,
    otherPolicy: otherPolicy!.id,
    policies0,
    r1,
    r3: await h.getRun(r3q.id),
    r2: await h.getRun(r2q.id),
    r0,
    rx,
  };
  expect(fx.r3).toMatchObject({ status: 'completed', attempt: 2 });
  expect(fx.r2).toMatchObject({ status: 'running', attempt: 3 });
  // nothing may change from here on (the legit dispatch at the end comes after the second snapshot)
  snapshotBefore = await snapshotRuns();
}, 120_000);

afterAll(async () => {
  const total = Object.values(figures.sent).reduce((a, b) => a + b, 0);
  const report = JSON.stringify({ seed: BASE_SEED, scale: SCALE, total, ...figures, runtimeMs: Date.now() - started }, null, 1);
  console.log(`=== bad-input figures ===\n${report}`);
  await writeFile(process.env['BAD_INPUT_FIGURES'] ?? join(tmpdir(), 'bad-input-figures.json'), report);
});

// ───────────────────────── generators per target ─────────────────────────

const KINDS = ['started', 'progress', 'completed'] as const;

/** a schema-valid event body for a run (kind, attempt, seq chosen by the caller) */
function eventBody(
  kind: (typeof KINDS)[number],
  runId: string,
  workspaceId: string,
  attempt: number,
  seq: number,
  when: string,
  owner?: string,
): Record<string, unknown> {
  const base: Record<string, unknown> = {
    v: 1,
    run_id: runId,
    workspace_id: workspaceId,
    attempt,
    seq: kind === 'started' ? 0 : seq,
    at: when,
    kind,
  };
  if (owner !== undefined) base['owner'] = owner;
  if (kind === 'progress') base['counts'] = { total: 4, processed: 2, failed: 1 };
  if (kind === 'completed')
    Object.assign(base, {
      outcome: 'partially_succeeded',
      counts: { total: 4, processed: 3, failed: 1 },
      failures: [{ code: 'graph.not_found', message: 'policy gone', count: 1 }],
    });
  return base;
}

const ownerArb = fc.option(fc.oneof(fc.string({ minLength: 1, maxLength: 200 }), fc.constant('worker-1')), { nil: undefined });

function eventArb(): fc.Arbitrary<Hostile> {
  const kind = fc.constantFrom(...KINDS);
  const validFor = (run: fc.Arbitrary<string>, wsArb: fc.Arbitrary<string>) =>
    fc
      .tuple(kind, run, wsArb, fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 0, max: 10_000_000 }), anyInstant, ownerArb)
      .map(([k, r, w, a, s, t, o]) => ({ kind: k, body: eventBody(k, r, w, a, s, t, o) }));
  const bad =
    (label: string, reason: string) =>
    (x: { kind: string; body: Record<string, unknown> }): Hostile => ({ ...json(label, x.body, [reason]), subject: x.kind });

  // well-formed but stale: every one must be acked and ignored (apply-event.ts)
  const staleCompleted = fc
    .tuple(fc.constantFrom('r1', 'r3'), kind, fc.integer({ min: 0, max: 10_000_000 }), anyInstant, fc.integer({ min: 1, max: 10_000 }))
    .map(([which, k, seq, t, a]) => {
      const run = fx[which as 'r1' | 'r3'];
      // a `completed` of a later attempt would legitimately win: only older/equal attempts here
      const attempt = k === 'completed' ? 1 + (a % run.attempt) : a;
      return {
        label: `stale_after_completion`,
        subject: k,
        data: enc.encode(JSON.stringify(eventBody(k, run.id, fx.ws, attempt, seq, t))),
        expect: ['ignored'],
      };
    });
  const staleRunning = fc
    .tuple(kind, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 10_000_000 }), anyInstant)
    .map(([k, a, s, big, t]) => {
      // attempt 1–2: any seq (older attempt); attempt 3: seq ≤ 5 (regression or duplicate)
      const seq = a < 3 ? big : s;
      return {
        label: a < 3 ? 'stale_attempt' : 'seq_regression',
        subject: k,
        data: enc.encode(JSON.stringify(eventBody(k, fx.r2.id, fx.ws, a, seq, t))),
        expect: ['ignored'],
      };
    });

  const wrong = {
    v: [0, 2, '1', null, 1.5, true],
    run_id: BAD_UUIDS,
    workspace_id: BAD_UUIDS,
    attempt: [0, -1, -2147483648, 10_001, 1.5, '1', null, 1e308, 2 ** 53],
    seq: [-1, 10_000_001, 0.5, '0', null, 1e21],
    at: BAD_DATES,
    owner: ['', 'x'.repeat(201), 5, null],
    kind: ['paused', 'STARTED', 5, null],
  };
  const structural = fc.tuple(kind, uuid4).chain(([k, runId]) =>
    mutated(
      fc.constant(eventBody(k, runId, fx.ws, 1, 1, at(0))),
      [
        'v',
        'run_id',
        'workspace_id',
        'attempt',
        'seq',
        'at',
        'kind',
        ...(k === 'started' ? [] : ['counts']),
        ...(k === 'completed' ? ['outcome'] : []),
      ],
      {
        ...wrong,
        ...(k === 'started' ? { seq: [1, 2, 10_000_000, -1] } : {}),
        ...(k === 'progress' ? { counts: BAD_COUNTS } : {}),
        ...(k === 'completed' ? { counts: BAD_COUNTS, outcome: ['pending', 'ok', null, 1], failures: BAD_FAILURES } : {}),
      },
    ).map((m) => ({ label: `schema_${m.how}`, subject: k, data: enc.encode(m.text), expect: ['schema_invalid'] })),
  );
  const inconsistent = fc
    .tuple(uuid4, fc.constantFrom('succeeded_with_failures', 'failed_without_failures', 'kind_subject_mismatch'))
    .map(([runId, how]): Hostile => {
      if (how === 'kind_subject_mismatch')
        return {
          label: 'schema_kind_mismatch',
          subject: 'started',
          data: enc.encode(JSON.stringify(eventBody('progress', runId, fx.ws, 1, 1, at(0)))),
          expect: ['schema_invalid'],
        };
      const body = eventBody('completed', runId, fx.ws, 1, 1, at(0));
      if (how === 'succeeded_with_failures') body['outcome'] = 'succeeded';
      else body['failures'] = [];
      return { label: `schema_${how}`, subject: 'completed', data: enc.encode(JSON.stringify(body)), expect: ['schema_invalid'] };
    });
  const bytes = fc.tuple(kind, uuid4).chain(([k, runId]) =>
    garbage(fc.constant(JSON.stringify(eventBody(k, runId, fx.ws, 1, 1, at(0)))), LEDGER_MAX_EVENT_BYTES, {
      oversized: 'oversized',
      encoding: 'invalid_encoding',
      json: 'invalid_json',
      schema: 'schema_invalid',
      empty: 'invalid_json',
    }).map((x) => ({ ...x, subject: k })),
  );
  const unknownSubject = fc.tuple(fc.constantFrom('paused', 'deleted', 'started.extra', 'completed.v2', 'STARTED', '_'), kind, uuid4).map(
    ([sub, k, runId]): Hostile => ({
      label: 'unknown_subject',
      subject: sub,
      data: enc.encode(JSON.stringify(eventBody(k, runId, fx.ws, 1, 1, at(0)))),
      expect: ['unknown_subject'],
    }),
  );

  return fc.oneof(
    { weight: 3, arbitrary: structural },
    { weight: 1, arbitrary: inconsistent },
    { weight: 3, arbitrary: bytes },
    { weight: 1, arbitrary: unknownSubject },
    { weight: 2, arbitrary: validFor(uuid4, fc.constant(fx.ws)).map(bad('unknown_run', 'unknown_run')) },
    {
      weight: 2,
      arbitrary: fc
        .oneof(
          validFor(fc.constantFrom(fx.rx.id), fc.constant(fx.ws)),
          validFor(fc.constantFrom(fx.r1.id, fx.r2.id, fx.r0.id, fx.r3.id), fc.constant(fx.otherWs)),
          validFor(fc.constantFrom(fx.r0.id, fx.r2.id), uuid4),
        )
        .map(bad('other_workspace_run', 'unknown_run')),
    },
    { weight: 2, arbitrary: staleCompleted },
    { weight: 2, arbitrary: staleRunning },
  );
}

function jobBody(
  run: { id: string; workspace: string; tenant: string | null; type: string; hash: string },
  when: string,
): Record<string, unknown> {
  return {
    v: 1,
    run_id: run.id,
    workspace_id: run.workspace,
    tenant_id: run.tenant,
    type: run.type,
    run_identity_hash: run.hash,
    inputs: { policy_ids: [] },
    dispatched_at: when,
  };
}

function jobArb(): fc.Arbitrary<Hostile> {
  const types = fc.constantFrom('assignments.fetch', 'assignments.restore');
  const known = () => fc.constantFrom(fx.r1, fx.r2, fx.r0, fx.r3);
  const wrong = {
    v: [0, 2, '1', null],
    run_id: BAD_UUIDS,
    workspace_id: BAD_UUIDS,
    tenant_id: ['', 'x', 5, PLANTED_SECRET, {}],
    type: ['assignments.delete', '', null, 5, 'ASSIGNMENTS.FETCH', PLANTED_SECRET],
    run_identity_hash: ['', 'ABCDEF'.repeat(11).slice(0, 64), 'g'.repeat(64), 'a'.repeat(63), 'a'.repeat(65), null, 7],
    inputs: [null, [], 'x', 5],
    dispatched_at: BAD_DATES,
  };
  const structural = fc.tuple(types, uuid4, hex64Arb).chain(([type, runId, hash]) =>
    mutated(fc.constant(jobBody({ id: runId, workspace: fx.ws, tenant: fx.tenant0, type, hash }, at(0))), Object.keys(wrong), wrong).map(
      (m) => ({
        label: `schema_${m.how}`,
        subject: type,
        data: enc.encode(m.text),
        expect: ['schema_invalid'],
      }),
    ),
  );
  const bytes = fc.tuple(types, uuid4, hex64Arb).chain(([type, runId, hash]) =>
    garbage(fc.constant(JSON.stringify(jobBody({ id: runId, workspace: fx.ws, tenant: fx.tenant0, type, hash }, at(0)))), JOB_MAX_BYTES, {
      oversized: 'oversized',
      encoding: 'invalid_encoding',
      json: 'invalid_json',
      schema: 'schema_invalid',
      empty: 'invalid_json',
    }).map((x) => ({ ...x, subject: type })),
  );
  const valid = (
    label: string,
    reason: string,
    subject: fc.Arbitrary<string> | null,
    run: fc.Arbitrary<{ id: string; workspace: string; tenant: string | null; type: string; hash: string }>,
  ) =>
    fc
      .tuple(run, anyInstant, subject ?? fc.constant(''))
      .map(([r, t, s]): Hostile => ({ label, subject: s || r.type, data: enc.encode(JSON.stringify(jobBody(r, t))), expect: [reason] }));
  const asJob = (r: RunV1) => ({ id: r.id, workspace: r.workspace_id, tenant: r.tenant_id, type: r.type, hash: r.run_identity_hash });

  return fc.oneof(
    { weight: 3, arbitrary: structural },
    { weight: 3, arbitrary: bytes },
    // a well-formed job on the wrong subject, of a workspace-scoped type, without a tenant
    {
      weight: 1,
      arbitrary: valid(
        'subject_mismatch',
        'subject_mismatch',
        fc.constantFrom('assignments.fetch', 'assignments.restore', 'assignments.delete', 'assignments.fetch.x'),
        fc.tuple(uuid4, hex64Arb, types).map(([id, hash, type]) => ({ id, workspace: fx.ws, tenant: fx.tenant0, type, hash })),
      ).filter((x) => !x.subject!.endsWith(JSON.parse(dec.decode(x.data)).type)),
    },
    {
      weight: 1,
      arbitrary: valid(
        'workspace_type_job',
        'subject_mismatch',
        fc.constantFrom('assignments.fetch'),
        fc
          .tuple(uuid4, hex64Arb)
          .map(([id, hash]) => ({ id, workspace: fx.ws, tenant: fx.tenant0, type: 'ops.reconcile_adapter_runs', hash })),
      ),
    },
    {
      weight: 1,
      arbitrary: valid(
        'tenantless_job',
        'subject_mismatch',
        null,
        fc.tuple(uuid4, hex64Arb, types).map(([id, hash, type]) => ({ id, workspace: fx.ws, tenant: null, type, hash })),
      ),
    },
    {
      weight: 2,
      arbitrary: valid(
        'unknown_run',
        'unknown_run',
        null,
        fc.tuple(uuid4, hex64Arb, types).map(([id, hash, type]) => ({ id, workspace: fx.ws, tenant: fx.tenant0, type, hash })),
      ),
    },
    {
      weight: 2,
      arbitrary: valid(
        'other_workspace_run',
        'unknown_run',
        null,
        fc.oneof(
          fc.constant(asJob(fx.rx)).map((r) => ({ ...r, workspace: fx.ws })),
          known().map((r) => ({ ...asJob(r), workspace: fx.otherWs })),
        ),
      ),
    },
    // a known run, but the job disagrees with it: hash, tenant (also another workspace's tenant) or type
    {
      weight: 2,
      arbitrary: valid(
        'run_mismatch',
        'run_mismatch',
        null,
        fc.tuple(known(), fc.constantFrom('hash', 'tenant', 'other_tenant', 'type'), hex64Arb).map(([r, how, hash]) => {
          const j = asJob(r);
          if (how === 'hash') return { ...j, hash: hash === j.hash ? hash.replace(/.$/, (c) => (c === '0' ? '1' : '0')) : hash };
          if (how === 'tenant') return { ...j, tenant: j.tenant === fx.tenant0 ? fx.tenant1 : fx.tenant0 };
          if (how === 'other_tenant') return { ...j, tenant: fx.otherTenant };
          return { ...j, type: j.type === 'assignments.fetch' ? 'assignments.restore' : 'assignments.fetch' };
        }),
      ),
    },
  );
}

/** hostile requests per ledger API endpoint, each with the error code(s) it must get */
function apiArb(endpoint: LedgerApiEndpoint): fc.Arbitrary<Hostile> {
  const bytes = (valid: fc.Arbitrary<string>, empty: boolean) =>
    garbage(valid, LEDGER_MAX_REQUEST_BYTES, {
      oversized: 'bad_request',
      encoding: 'bad_request',
      json: 'bad_request',
      schema: 'bad_request',
      ...(empty ? { empty: 'bad_request' } : {}),
    });
  const structural = (base: fc.Arbitrary<Record<string, unknown>>, required: string[], wrong: Record<string, readonly unknown[]>) =>
    mutated(base, required, wrong).map((m) => ({ label: `schema_${m.how}`, data: enc.encode(m.text), expect: ['bad_request'] }));
  const BAD_LIMITS = [0, -1, 501, 1001, 2.5, '10', null, 1e9];
  const knownRun = () => fc.constantFrom(fx.r1, fx.r2, fx.r0, fx.r3);
  // a foreign pair: a run of one workspace asked for in the other (or an unknown one)
  const foreignPair = fc.oneof(
    knownRun().map((r) => ({ workspace_id: fx.otherWs, run_id: r.id })),
    fc.constant({ workspace_id: fx.ws, run_id: fx.rx.id }),
    fc.tuple(uuid4, knownRun()).map(([w, r]) => ({ workspace_id: w, run_id: r.id })),
    uuid4.map((id) => ({ workspace_id: fx.ws, run_id: id })),
  );
  switch (endpoint) {
    case 'ensure_run': {
      const base = fc
        .tuple(uuid4, fc.constantFrom('assignments.fetch', 'assignments.restore'))
        .map(
          ([w, type]) =>
            ({ workspace_id: w, tenant_id: fx.tenant0, type, inputs: { policy_ids: [] }, initiator: { name: 'x' } }) as Record<
              string,
              unknown
            >,
        );
      const semantic = fc.oneof(
        base.map((b) => json('unknown_workspace', b, ['not_found'])),
        base.map((b) => json('foreign_tenant', { ...b, workspace_id: fx.ws, tenant_id: fx.otherTenant }, ['not_found'])),
        fc.tuple(base, uuid4).map(([b, t]) => json('unknown_tenant', { ...b, workspace_id: fx.ws, tenant_id: t }, ['not_found'])),
        base.map((b) => json('foreign_policy', { ...b, workspace_id: fx.ws, inputs: { policy_ids: [fx.otherPolicy] } }, ['not_found'])),
        fc
          .tuple(base, fc.uniqueArray(uuid4, { minLength: 1, maxLength: 20 }))
          .map(([b, ids]) =>
            json('unknown_policy', { ...b, workspace_id: fx.ws, inputs: { policy_ids: [...fx.policies0.slice(0, 1), ...ids] } }, [
              'not_found',
            ]),
          ),
        base.map((b) => json('tenant_scope_without_tenant', { ...b, workspace_id: fx.ws, tenant_id: null }, ['bad_request'])),
        base.map((b) =>
          json('workspace_scope_with_tenant', { ...b, workspace_id: fx.ws, type: 'ops.reconcile_adapter_runs', inputs: {} }, [
            'bad_request',
          ]),
        ),
        fc.tuple(base, junkValueKey()).map(([b, key]) => ({
          ...json('', {}, []),
          label: 'smuggled_input',
          data: enc.encode(JSON.stringify({ ...b, workspace_id: fx.ws, inputs: { policy_ids: [], [key]: PLANTED_SECRET } })),
          expect: ['bad_request'],
        })),
        fc
          .tuple(base, fc.integer({ min: 501, max: 2000 }), uuid4)
          .map(([b, n, id]) =>
            json('too_many_policies', { ...b, workspace_id: fx.ws, inputs: { policy_ids: Array.from({ length: n }, () => id) } }, [
              'bad_request',
            ]),
          ),
        // the caller's run id is a completed / running / other workspace's run: refused, nothing created
        fc.tuple(base, fc.constantFrom('r1', 'r3', 'r2', 'rx')).map(([b, which]) => {
          const r = fx[which as 'r1' | 'r3' | 'r2' | 'rx'];
          return json(
            'explicit_run_id_taken',
            {
              ...b,
              workspace_id: fx.ws,
              tenant_id: which === 'r3' ? fx.tenant1 : fx.tenant0,
              type: 'assignments.fetch',
              inputs: {},
              run_id: r.id,
            },
            ['conflict'],
          );
        }),
      );
      const s = structural(base, ['workspace_id', 'type', 'initiator'], {
        workspace_id: BAD_UUIDS,
        tenant_id: BAD_UUIDS.filter((v) => v !== null),
        type: ['assignments.delete', '', null, 5, PLANTED_SECRET],
        inputs: [null, [], 'x', { policy_ids: 'x' }, { policy_ids: ['nope'] }, { policy_ids: [null] }],
        run_id: BAD_UUIDS,
        initiator: [
          null,
          'x',
          {},
          { name: '' },
          { name: 'x'.repeat(201) },
          { name: 'a', token: PLANTED_SECRET },
          { name: 'a', user_id: 'me' },
        ],
      });
      return fc.oneof(
        { weight: 3, arbitrary: semantic },
        { weight: 3, arbitrary: s },
        {
          weight: 2,
          arbitrary: bytes(
            base.map((b) => JSON.stringify(b)),
            true,
          ),
        },
      );
    }
    case 'get_run':
    case 'record_duplicate': {
      const extra = endpoint === 'record_duplicate' ? { reason: 'already_completed' } : {};
      const base = fc.tuple(uuid4, uuid4).map(([w, r]) => ({ workspace_id: w, run_id: r, ...extra }) as Record<string, unknown>);
      const semantic = foreignPair.map((p) => json('foreign_or_unknown_run', { ...p, ...extra }, ['not_found']));
      const s = structural(base, ['workspace_id', 'run_id', ...Object.keys(extra)], {
        workspace_id: BAD_UUIDS,
        run_id: BAD_UUIDS,
        ...(endpoint === 'record_duplicate' ? { reason: ['', 'because', null, 5, PLANTED_SECRET] } : {}),
      });
      // a known run with a damaged request: never counted as a duplicate
      const knownDamaged = fc
        .tuple(knownRun(), fc.constantFrom(...BAD_UUIDS.slice(0, 4)))
        .map(([r, bad]) =>
          json(
            'known_run_bad_field',
            { workspace_id: fx.ws, run_id: r.id, ...(endpoint === 'record_duplicate' ? { reason: bad } : { extra: bad }) },
            ['bad_request'],
          ),
        );
      return fc.oneof(
        { weight: 3, arbitrary: semantic },
        { weight: 3, arbitrary: s },
        { weight: 1, arbitrary: knownDamaged },
        {
          weight: 2,
          arbitrary: bytes(
            base.map((b) => JSON.stringify(b)),
            true,
          ),
        },
      );
    }
    case 'list_runs': {
      const base = uuid4.map((w) => ({ workspace_id: w, limit: 10 }) as Record<string, unknown>);
      const s = structural(base, ['workspace_id'], {
        workspace_id: BAD_UUIDS,
        tenant_id: BAD_UUIDS.filter((v) => v !== null),
        type: ['x', '', null, 5],
        status: ['done', '', null, 'COMPLETED'],
        created_after: BAD_DATES,
        created_before: BAD_DATES,
        limit: BAD_LIMITS,
        cursor: [
          'x'.repeat(201),
          null,
          5,
          'not-a-cursor',
          Buffer.from('[1,2]').toString('base64url'),
          Buffer.from(`["${PLANTED_SECRET}","x"]`).toString('base64url'),
        ],
      });
      const garbageCursor = fc
        .string({ maxLength: 200 })
        .map((c) => json('garbage_cursor', { workspace_id: fx.ws, cursor: `~${c}` }, ['bad_request']));
      const unknownWs = uuid4.map((w) => json('unknown_workspace_list', { workspace_id: w }, ['empty_ok']));
      return fc.oneof(
        { weight: 4, arbitrary: s },
        { weight: 1, arbitrary: garbageCursor },
        { weight: 1, arbitrary: unknownWs },
        {
          weight: 2,
          arbitrary: bytes(
            base.map((b) => JSON.stringify(b)),
            true,
          ),
        },
      );
    }
    case 'list_active_runs': {
      const base = uuid4.map((w) => ({ workspace_id: w, quiet_since: at(0), limit: 10 }) as Record<string, unknown>);
      const s = structural(base, ['workspace_id', 'quiet_since'], {
        workspace_id: BAD_UUIDS,
        quiet_since: BAD_DATES,
        limit: BAD_LIMITS.filter((l) => l !== 501),
      });
      const unknownWs = uuid4.map((w) =>
        json('unknown_workspace_list', { workspace_id: w, quiet_since: new Date().toISOString() }, ['empty_ok']),
      );
      return fc.oneof(
        { weight: 4, arbitrary: s },
        { weight: 1, arbitrary: unknownWs },
        {
          weight: 2,
          arbitrary: bytes(
            base.map((b) => JSON.stringify(b)),
            true,
          ),
        },
      );
    }
    case 'list_workspaces': {
      // an empty payload is the documented way to call it (api.ts): not hostile, not sent
      const extra = fc
        .tuple(fc.string({ minLength: 1, maxLength: 30 }), fc.jsonValue({ maxDepth: 2 }))
        .map(([k, v]) => ({ label: 'schema_extra_field', data: enc.encode(JSON.stringify({ [k]: v })), expect: ['bad_request'] }));
      return fc.oneof({ weight: 2, arbitrary: extra }, { weight: 3, arbitrary: bytes(fc.constant('{}'), false) });
    }
  }
}

function junkValueKey(): fc.Arbitrary<string> {
  return fc
    .oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('client_secret', 'token', '__proto__'))
    .filter((k) => k !== 'policy_ids');
}

function housekeepingArb(): fc.Arbitrary<Hostile> {
  const base = uuid4.map((w) => ({ workspace_id: w }) as Record<string, unknown>);
  const s = mutated(base, ['workspace_id'], { workspace_id: BAD_UUIDS }).map((m) => ({
    label: `schema_${m.how}`,
    data: enc.encode(m.text),
    expect: ['bad_request'],
  }));
  const bytes = garbage(
    base.map((b) => JSON.stringify(b)),
    HOUSEKEEPING_MAX_REQUEST_BYTES,
    { oversized: 'bad_request', encoding: 'bad_request', json: 'bad_request', schema: 'bad_request', empty: 'bad_request' },
  );
  const unknownWs = uuid4.map((w) => json('unknown_workspace', { workspace_id: w }, ['not_found']));
  return fc.oneof({ weight: 3, arbitrary: s }, { weight: 3, arbitrary: bytes }, { weight: 2, arbitrary: unknownWs });
}

// ───────────────────────── the storm ─────────────────────────

/** One request; the reply must be a typed error (or, for a read-only list of an unknown workspace, an empty page). */
async function request(target: string, subject: string, m: Hostile, replies: string[]): Promise<void> {
  let reply: Awaited<ReturnType<typeof h.nc.request>>;
  try {
    reply = await h.nc.request(subject, m.data, { timeout: 15_000 });
  } catch (err) {
    throw new Error(`${target} ${m.label}: no reply (${(err as Error).message})`);
  }
  const body = dec.decode(reply.data);
  replies.push(body);
  const parsed = JSON.parse(body) as { ok: boolean; error?: { code: string; message: string; issues: string[] }; runs?: unknown[] };
  let outcome: string;
  if (parsed.ok === false) {
    outcome = parsed.error!.code;
    expect(reply.headers?.get('Nats-Service-Error-Code'), `${target} ${m.label}: error header`).toMatch(/^\d{3}$/);
  } else {
    outcome = Array.isArray(parsed.runs) && parsed.runs.length === 0 ? 'empty_ok' : 'ok';
  }
  tally(target, outcome);
  bump(outcomesOf(`${target} by class`), `${m.label} → ${outcome}`);
  expect(m.expect, `${target} ${m.label}: got ${outcome} (${body.slice(0, 300)})`).toContain(outcome);
  expect(body, `${target} ${m.label}: secret echoed`).not.toContain(PLANTED_SECRET_WORD);
  expect(body, `${target} ${m.label}: payload echoed`).not.toContain(PAYLOAD_MARKER);
  expect(body.length, `${target} ${m.label}: reply size`).toBeLessThan(12_000);
}

describe('bad input: a seeded storm of hostile messages', () => {
  it(`ops.ledger.events.*: ${COUNTS.events} events, each dead-lettered with its reason or acked and ignored`, async () => {
    const sent: Array<{ seq: number; m: Hostile }> = [];
    const metric = async () => (await h.service.registry.getSingleMetric('ops_ledger_events_total')!.get()).values;
    const before = await metric();
    await storm('ledger-events', 1, eventArb(), COUNTS.events, 250, async (chunk) => {
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
    await storm('jobs', 2, jobArb(), COUNTS.jobs, 100, async (chunk) => {
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
      await storm(`ledger-api.${endpoint}`, 10 + i, apiArb(endpoint), COUNTS.apiPerEndpoint, 50, async (chunk) => {
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
    expect(await snapshotRuns()).toBe(snapshotBefore);

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

/** Origin sequences of every dead letter on one DLQ subject, read from the OPS_DLQ stream itself (NATS 2.9: no server-side multi-filter). */
async function dlqOriginSeqs(subject: string): Promise<number[]> {
  const info = await jsm.streams.info(h.names.streams.dlq);
  const total = info.state.messages;
  const out: number[] = [];
  if (total === 0) return out;
  const consumer = await h.js.consumers.get(h.names.streams.dlq);
  const messages = await consumer.consume();
  let seen = 0;
  for await (const m of messages) {
    seen += 1;
    if (m.subject === subject) out.push(Number(m.headers?.get(HEADERS.dlqOriginSeq)));
    if (seen >= total) break;
  }
  await messages.close();
  return out;
}
