import type { FailureEntry, LedgerEventV1, RunOutcome, RunStatus } from '@ops/contracts';

/**
 * Pure application of one ledger event to a run's state (FR-003).
 *
 * Events of a run are totally ordered by (attempt, seq). An event is applied
 * only if it is newer than the last applied one, so duplicates, reordered
 * deliveries and events of an older attempt change nothing, and replaying
 * the whole log is a no-op. A completed run is closed: only a `completed`
 * of a LATER attempt may overwrite it (final attempt wins).
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
}

export type IgnoreReason = 'duplicate' | 'stale_attempt' | 'out_of_order' | 'after_completion';

export type ApplyResult = { readonly applied: true; readonly state: RunState } | { readonly applied: false; readonly reason: IgnoreReason };

export function applyEvent(state: RunState, event: LedgerEventV1, streamSeq: number, now: Date): ApplyResult {
  const order = compare(event.attempt, event.seq, state.attempt, state.event_seq);
  if (state.status === 'completed') {
    if (event.kind === 'completed' && event.attempt > state.attempt)
      return { applied: true, state: complete(state, event, streamSeq, now) };
    return { applied: false, reason: order === 0 ? 'duplicate' : 'after_completion' };
  }
  if (order <= 0) {
    if (order === 0) return { applied: false, reason: 'duplicate' };
    return { applied: false, reason: event.attempt < state.attempt ? 'stale_attempt' : 'out_of_order' };
  }
  const at = new Date(event.at);
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
  const at = new Date(event.at);
  const startedAt = state.started_at ?? at;
  // never in the future of the ledger's clock, never before the start
  const completedAt = new Date(Math.max(startedAt.getTime(), Math.min(at.getTime(), now.getTime())));
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
  };
}

function compare(a1: number, s1: number, a2: number, s2: number): number {
  return a1 !== a2 ? a1 - a2 : s1 - s2;
}
