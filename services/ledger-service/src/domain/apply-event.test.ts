import { type FailureEntry, type LedgerEventV1, ledgerEventV1, type SummaryCounts } from '@ops/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ApplyResult, applyEvent, type RunState } from './apply-event.ts';

const RUN = 'c56a4180-65aa-42ec-a945-5fd21dec0538';
const WORKSPACE = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const NOW = new Date('2025-06-01T00:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const NOT_FOUND: FailureEntry = { code: 'graph.not_found', message: 'policy is gone', count: 1 };

const QUEUED: RunState = {
  status: 'queued',
  outcome: 'pending',
  attempt: 0,
  event_seq: -1,
  summary_counts: {},
  failure_summary: [],
  started_at: null,
  completed_at: null,
  last_event_at: null,
  last_event_stream_seq: null,
  closed_by_heal: false,
};

const head = (attempt: number, seq: number, time = attempt * 1000 + seq) =>
  ({ v: 1, run_id: RUN, workspace_id: WORKSPACE, attempt, seq, at: at(time) }) as const;
const started = (attempt: number, time?: number): LedgerEventV1 => ledgerEventV1.parse({ ...head(attempt, 0, time), kind: 'started' });
const progress = (attempt: number, seq: number, counts: SummaryCounts): LedgerEventV1 =>
  ledgerEventV1.parse({ ...head(attempt, seq), kind: 'progress', counts });
function completed(attempt: number, seq: number, counts: SummaryCounts, time?: number): LedgerEventV1 {
  const failed = counts.failed > 0;
  return ledgerEventV1.parse({
    ...head(attempt, seq, time),
    kind: 'completed',
    outcome: failed ? 'partially_succeeded' : 'succeeded',
    counts,
    failures: failed ? [{ ...NOT_FOUND, count: counts.failed }] : [],
  });
}

/** housekeeping's closure: a completed of its own (allocated) attempt, marked a heal */
const heal = (attempt: number, time?: number): LedgerEventV1 =>
  ledgerEventV1.parse({
    ...head(attempt, 0, time),
    kind: 'completed',
    outcome: 'failed',
    counts: { total: 0, processed: 0, failed: 0 },
    failures: [{ code: 'run.stale', message: 'the run was not renewed', count: 1 }],
    heal: true,
  });

function applied(result: ApplyResult): RunState {
  if (!result.applied) throw new Error(`expected the event to apply, ignored as ${result.reason}`);
  return result.state;
}

function run(events: readonly LedgerEventV1[], from: RunState = QUEUED): { state: RunState; results: ApplyResult[] } {
  let state = from;
  const results = events.map((event, i) => {
    const result = applyEvent(state, event, i + 1, NOW);
    if (result.applied) state = result.state;
    return result;
  });
  return { state, results };
}

describe('applyEvent', () => {
  it('moves a queued run to running on started', () => {
    const state = applied(applyEvent(QUEUED, started(1), 7, NOW));
    expect(state).toMatchObject({ status: 'running', outcome: 'pending', attempt: 1, event_seq: 0, summary_counts: {} });
    expect(state.started_at).toEqual(new Date(at(1000)));
    expect(state.last_event_at).toEqual(new Date(at(1000)));
    expect(state.last_event_stream_seq).toBe(7);
  });

  it('replaces the counters on progress', () => {
    const { state } = run([
      started(1),
      progress(1, 1, { total: 10, processed: 5, failed: 1 }),
      progress(1, 2, { total: 10, processed: 3, failed: 0 }),
    ]);
    expect(state.status).toBe('running');
    expect(state.event_seq).toBe(2);
    expect(state.summary_counts).toEqual({ total: 10, processed: 3, failed: 0 });
  });

  it('sets outcome, counters, failures and completion time on completed', () => {
    const { state } = run([started(1), completed(1, 1, { total: 4, processed: 2, failed: 2 })]);
    expect(state).toMatchObject({ status: 'completed', outcome: 'partially_succeeded', attempt: 1, event_seq: 1 });
    expect(state.summary_counts).toEqual({ total: 4, processed: 2, failed: 2 });
    expect(state.failure_summary).toEqual([{ ...NOT_FOUND, count: 2 }]);
    expect(state.completed_at).toEqual(new Date(at(1001)));
    expect(state.started_at).toEqual(new Date(at(1000)));
  });

  it('clamps a completion time in the future to now', () => {
    const future = (NOW.getTime() - T0) / 1000 + 3600;
    const { state } = run([started(1), completed(1, 1, { total: 1, processed: 1, failed: 0 }, future)]);
    expect(state.completed_at).toEqual(NOW);
  });

  it('never sets the completion time before the start', () => {
    const { state } = run([started(1, 500), completed(1, 1, { total: 1, processed: 1, failed: 0 }, 100)]);
    expect(state.completed_at).toEqual(new Date(at(500)));
  });

  it('uses the completion time as the start when no started event was applied', () => {
    const state = applied(applyEvent(QUEUED, completed(1, 4, { total: 1, processed: 1, failed: 0 }), 1, NOW));
    expect(state.started_at).toEqual(new Date(at(1004)));
    expect(state.completed_at).toEqual(new Date(at(1004)));
  });

  it('a completion that says when its attempt started (no started event: a short run) sets started_at from it, clamped', () => {
    const event = ledgerEventV1.parse({ ...completed(1, 1, { total: 1, processed: 1, failed: 0 }), started_at: at(1000) });
    const state = applied(applyEvent(QUEUED, event, 1, NOW));
    expect(state.started_at).toEqual(new Date(at(1000)));
    expect(state.completed_at).toEqual(new Date(at(1001)));
    // a start the writer's fast clock put in the future of the ledger's clock is clamped too
    const future = new Date(NOW.getTime() + 60_000).toISOString();
    const clamped = applied(applyEvent(QUEUED, ledgerEventV1.parse({ ...event, started_at: future }), 1, NOW));
    expect(clamped.started_at).toEqual(NOW);
  });

  it('ignores a duplicate of the last applied event', () => {
    const { state } = run([started(1), progress(1, 1, { total: 2, processed: 1, failed: 0 })]);
    expect(applyEvent(state, progress(1, 1, { total: 2, processed: 1, failed: 0 }), 9, NOW)).toEqual({
      applied: false,
      reason: 'duplicate',
    });
  });

  it('ignores events of an older attempt as stale', () => {
    const { state } = run([started(1), started(2)]);
    expect(applyEvent(state, progress(1, 5, { total: 1, processed: 0, failed: 0 }), 9, NOW)).toEqual({
      applied: false,
      reason: 'stale_attempt',
    });
  });

  it('ignores a lower seq of the same attempt as out of order', () => {
    const { state } = run([started(1), progress(1, 3, { total: 1, processed: 1, failed: 0 })]);
    expect(applyEvent(state, progress(1, 2, { total: 1, processed: 0, failed: 0 }), 9, NOW)).toEqual({
      applied: false,
      reason: 'out_of_order',
    });
    expect(applyEvent(state, started(1), 9, NOW)).toEqual({ applied: false, reason: 'out_of_order' });
  });

  it('resets the counters when a new attempt starts', () => {
    const { state } = run([started(1), progress(1, 1, { total: 3, processed: 1, failed: 0 }), started(2)]);
    expect(state).toMatchObject({ status: 'running', attempt: 2, event_seq: 0, summary_counts: {} });
    expect(state.started_at).toEqual(new Date(at(1000)));
  });

  it('ignores started and progress events after completion', () => {
    const { state } = run([started(1), completed(1, 1, { total: 1, processed: 1, failed: 0 })]);
    const ignored = { applied: false, reason: 'after_completion' };
    expect(applyEvent(state, started(2), 9, NOW)).toEqual(ignored);
    expect(applyEvent(state, progress(2, 1, { total: 1, processed: 0, failed: 0 }), 9, NOW)).toEqual(ignored);
    expect(applyEvent(state, progress(1, 2, { total: 1, processed: 0, failed: 0 }), 9, NOW)).toEqual(ignored);
    expect(applyEvent(state, completed(1, 1, { total: 1, processed: 1, failed: 0 }), 9, NOW)).toEqual({
      applied: false,
      reason: 'duplicate',
    });
  });

  it('lets a completed event of a later attempt overwrite a completed run', () => {
    const { state: first } = run([started(1), completed(1, 1, { total: 5, processed: 3, failed: 2 })]);
    const state = applied(applyEvent(first, completed(2, 3, { total: 5, processed: 5, failed: 0 }), 20, NOW));
    expect(state).toMatchObject({ status: 'completed', outcome: 'succeeded', attempt: 2, event_seq: 3, failure_summary: [] });
    expect(state.summary_counts).toEqual({ total: 5, processed: 5, failed: 0 });
    expect(state.last_event_stream_seq).toBe(20);
    expect(state.started_at).toEqual(first.started_at);
  });

  it('does not let a completed event of an older attempt overwrite a completed run', () => {
    const { state } = run([started(2), completed(2, 1, { total: 1, processed: 1, failed: 0 })]);
    expect(applyEvent(state, completed(1, 4, { total: 1, processed: 0, failed: 1 }), 9, NOW)).toEqual({
      applied: false,
      reason: 'after_completion',
    });
  });

  it('does not mutate the state it is given', () => {
    const before = structuredClone(QUEUED);
    applyEvent(QUEUED, completed(1, 1, { total: 1, processed: 0, failed: 1 }), 1, NOW);
    expect(QUEUED).toEqual(before);
  });
});

describe('a heal and a real completion (the ledger lagged behind OPS_LEDGER)', () => {
  const real = completed(1, 2, { total: 3, processed: 3, failed: 0 });

  it('a real completion applied after a heal of a LATER attempt replaces it: the run ends as it really did', () => {
    const { state: healed } = run([started(1), progress(1, 1, { total: 3, processed: 1, failed: 0 }), heal(2)]);
    expect(healed).toMatchObject({ status: 'completed', outcome: 'failed', closed_by_heal: true });
    const state = applied(applyEvent(healed, real, 40, NOW));
    expect(state).toMatchObject({
      status: 'completed',
      outcome: 'succeeded',
      attempt: 1,
      summary_counts: { total: 3, processed: 3, failed: 0 },
      failure_summary: [],
      closed_by_heal: false,
    });
    // and the heal, redelivered, changes nothing now
    expect(applyEvent(state, heal(2), 41, NOW)).toEqual({ applied: false, reason: 'heal_after_completion' });
  });

  it('a heal never replaces a real completion, whatever its attempt', () => {
    const { state } = run([started(1), real]);
    for (const attempt of [2, 5, 99])
      expect(applyEvent(state, heal(attempt), 50, NOW)).toEqual({ applied: false, reason: 'heal_after_completion' });
  });

  it('property: in any delivery order, a run with a real completion ends with it, never with the heal', () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray([started(1), progress(1, 1, { total: 3, processed: 1, failed: 0 }), heal(2)], { minLength: 0 }),
        fc.integer({ min: 0, max: 3 }),
        (others, where) => {
          const events = [...others];
          events.splice(Math.min(where, events.length), 0, real);
          const { state } = run(events);
          expect(state).toMatchObject({ status: 'completed', outcome: 'succeeded', closed_by_heal: false });
        },
      ),
      { seed: 1515 },
    );
  });
});

describe("the writers' clocks are clamped to the ledger's", () => {
  it('started_at, last_event_at and completed_at are never in the future of the ledger clock', () => {
    const future = (NOW.getTime() - T0) / 1000 + 3_600; // an hour ahead of the ledger
    const { state: running } = run([started(1, future)]);
    expect(running.started_at).toEqual(NOW);
    expect(running.last_event_at).toEqual(NOW);
    const state = applied(applyEvent(running, completed(1, 1, { total: 1, processed: 1, failed: 0 }, future + 5), 2, NOW));
    expect(state.completed_at).toEqual(NOW);
    expect(state.last_event_at).toEqual(NOW);
  });
});

describe('applyEvent properties', () => {
  const countsArb = fc
    .integer({ min: 0, max: 1000 })
    .chain((total) =>
      fc
        .integer({ min: 0, max: total })
        .chain((processed) =>
          fc.integer({ min: 0, max: total - processed }).map((failed): SummaryCounts => ({ total, processed, failed })),
        ),
    );

  /** attempts with increasing numbers; only the last one completes */
  const logArb = fc
    .record({
      gaps: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 }),
      progress: fc.array(fc.array(countsArb, { maxLength: 4 }), { minLength: 4, maxLength: 4 }),
      final: countsArb,
    })
    .map(({ gaps, progress: perAttempt, final }) => {
      const events: LedgerEventV1[] = [];
      let attempt = 0;
      gaps.forEach((gap, i) => {
        attempt += gap;
        const counts = perAttempt[i] ?? [];
        events.push(started(attempt));
        for (const [j, c] of counts.entries()) events.push(progress(attempt, j + 1, c));
        if (i === gaps.length - 1) events.push(completed(attempt, counts.length + 1, final));
      });
      return { events, lastAttempt: attempt, final };
    });

  /** the log in an arbitrary order, with arbitrary duplicates inserted */
  const deliveryArb = logArb.chain((log) =>
    fc.array(fc.nat({ max: log.events.length - 1 }), { maxLength: 10 }).chain((dups) => {
      const all = [...log.events, ...dups.map((i) => log.events[i]!)];
      return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }).map((delivered) => ({ ...log, delivered }));
    }),
  );

  it('ends completed with the last attempt and its final counters, whatever the delivery order', () => {
    fc.assert(
      fc.property(deliveryArb, ({ delivered, lastAttempt, final }) => {
        const { state } = run(delivered);
        expect(state.status).toBe('completed');
        expect(state.attempt).toBe(lastAttempt);
        expect(state.summary_counts).toEqual(final);
        expect(state.outcome).toBe(final.failed > 0 ? 'partially_succeeded' : 'succeeded');
        expect(state.completed_at!.getTime()).toBeGreaterThanOrEqual(state.started_at!.getTime());
      }),
      { numRuns: 300 },
    );
  });

  it('applies nothing when the same delivery is replayed', () => {
    fc.assert(
      fc.property(deliveryArb, ({ delivered }) => {
        const { state } = run(delivered);
        const replay = run(delivered, state);
        expect(replay.results.every((r) => !r.applied)).toBe(true);
        expect(replay.state).toBe(state);
      }),
      { numRuns: 300 },
    );
  });
});
