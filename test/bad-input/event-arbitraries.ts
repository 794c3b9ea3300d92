import fc from 'fast-check';
import { at, type Fixtures } from './fixtures.ts';
import { anyInstant, BAD_COUNTS, BAD_DATES, BAD_FAILURES, BAD_UUIDS, garbage, type Hostile, json, mutated, uuid4 } from './generators.ts';

// Hostile ledger events (ops.ledger.events.*), each with the outcome the
// design promises for it: a dead letter with its reason, or acked and
// ignored (well-formed but stale). The fixtures are the runs they aim at.

const LEDGER_MAX_EVENT_BYTES = 16 * 1024; // the default of services/ledger-service/src/config.ts
const enc = new TextEncoder();

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

export function eventArb(fx: Fixtures): fc.Arbitrary<Hostile> {
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
