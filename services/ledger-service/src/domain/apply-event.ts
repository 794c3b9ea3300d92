import type { FailureEntry, LedgerEventV1, RunOutcome, RunStatus } from '@ops/contracts';

/**
 * Pure application of one ledger event to a run's state (FR-003).
 *
 * Events of a run are totally ordered by (attempt, seq). An event is applied
 * only if it is newer than the last applied one, so duplicates, reordered
 * deliveries and events of an older attempt change nothing, and replaying
 * the whole log is a no-op. A completed run is closed: only a `completed`
 * of a LATER attempt may overwrite it (final attempt wins) — with one rule
 * above the order: a heal (housekeeping's closure, `heal: true`) never
 * replaces a real completion, and a real completion always replaces a heal,
 * whatever their attempts. A heal only says "nobody was seen finishing this
 * run"; a stored completion says what happened (the ledger may apply it long
 * after the heal, when its event path lagged). Above both: an operator's
 * cancel (issue #21) is final — no event of any attempt reopens or rewrites
 * a cancelled run, so a race between a cancel and the worker's own
 * completion is decided by whichever the ledger applies first.
 *
 * Timestamps come from the writers' clocks; the ledger clamps them to its own
 * (never in its future), so no worker clock ahead can extend a cooldown or
 * hide a run from healing.
 */
export interface RunState {
  readonly status: RunStatus;
  readonly outcome: RunOutcome;
  readonly attempt: number;
  /** per-attempt sequence of the last applied event; -1 before the first */
  readonly event_seq: number;
  readonly summary_counts: Record<string, number>;
  readonly failure_summary: readonly FailureEntry[];
  readonly started_at: Date | null;
  readonly completed_at: Date | null;
  readonly last_event_at: Date | null;
  readonly last_event_stream_seq: number | null;
  /** completed by a heal (housekeeping's closure), not by its executor */
  readonly closed_by_heal: boolean;
}

export type IgnoreReason = 'duplicate' | 'stale_attempt' | 'out_of_order' | 'after_completion' | 'heal_after_completion' | 'after_cancel';

export type ApplyResult = { readonly applied: true; readonly state: RunState } | { readonly applied: false; readonly reason: IgnoreReason };

export function applyEvent(state: RunState, event: LedgerEventV1, streamSeq: number, now: Date): ApplyResult {
  const order = compare(event.attempt, event.seq, state.attempt, state.event_seq);
  if (state.status === 'completed') {
    if (state.outcome === 'cancelled' && state.failure_summary.some((f) => f.code === 'run.cancelled')) {
      return { applied: false, reason: 'after_cancel' };
    }
    if (order === 0) return { applied: false, reason: 'duplicate' };
    if (event.kind !== 'completed') return { applied: false, reason: 'after_completion' };
    const heal = event.heal === true;
    if (heal && !state.closed_by_heal) return { applied: false, reason: 'heal_after_completion' };
    if ((!heal && state.closed_by_heal) || event.attempt > state.attempt) {
      return { applied: true, state: complete(state, event, streamSeq, now) };
    }
    return { applied: false, reason: 'after_completion' };
  }
  if (order <= 0) {
    if (order === 0) return { applied: false, reason: 'duplicate' };
    return { applied: false, reason: event.attempt < state.attempt ? 'stale_attempt' : 'out_of_order' };
  }
  const at = clamp(event.at, now);
  const newAttempt = event.attempt > state.attempt;
  const base = {
    ...state,
    attempt: event.attempt,
    event_seq: event.seq,
    started_at: state.started_at ?? at,
    last_event_at: at,
    last_event_stream_seq: streamSeq,
  };
  switch (event.kind) {
    case 'started':
      // a new attempt starts from zero: its counters replace the old attempt's
      return {
        applied: true,
        state: { ...base, status: 'running', summary_counts: newAttempt ? {} : state.summary_counts, failure_summary: [] },
      };
    case 'progress':
      return { applied: true, state: { ...base, status: 'running', summary_counts: { ...event.counts }, failure_summary: [] } };
    case 'completed':
      return { applied: true, state: complete(state, event, streamSeq, now) };
  }
}

function complete(state: RunState, event: Extract<LedgerEventV1, { kind: 'completed' }>, streamSeq: number, now: Date): RunState {
  const at = clamp(event.at, now);
  // a short attempt publishes no started event: its completion says when it started
  const startedAt = state.started_at ?? (event.started_at ? clamp(event.started_at, now) : at);
  // never in the future of the ledger's clock, never before the start
  const completedAt = new Date(Math.max(startedAt.getTime(), at.getTime()));
  return {
    ...state,
    status: 'completed',
    outcome: event.outcome,
    attempt: event.attempt,
    event_seq: event.seq,
    summary_counts: { ...event.counts },
    failure_summary: event.failures.map((f) => ({ ...f })),
    started_at: startedAt,
    completed_at: completedAt,
    last_event_at: at,
    last_event_stream_seq: streamSeq,
    closed_by_heal: event.heal === true,
  };
}

/** a writer's timestamp, never later than the ledger's own clock */
function clamp(at: string, now: Date): Date {
  return new Date(Math.min(Date.parse(at), now.getTime()));
}

function compare(a1: number, s1: number, a2: number, s2: number): number {
  return a1 !== a2 ? a1 - a2 : s1 - s2;
}
