import type { LedgerEventV1 } from '@ops/contracts';
import type { IgnoreReason } from './apply-event.ts';

/**
 * A run's timeline entry for one ledger event (docs/architecture.md, "Run
 * timeline"): a narrow row of run_events, written by the same statement as
 * the run's row (sql/apply-events.ts).
 *
 * Recorded: every applied event, and every refused one whose reason tells an
 * operator something (a zombie's stale attempt, a heal after the completion,
 * an event after the completion, a reordered progress). Not recorded: a
 * `duplicate` — the same (attempt, seq) delivered again (redelivery, replay)
 * says nothing new and would grow the table with every replay.
 */
export interface TimelineRow {
  readonly run_id: string;
  readonly kind: 'started' | 'progress' | 'completed' | 'heal';
  readonly attempt: number;
  readonly seq: number;
  /** the event's time, never after the ledger's clock (like the run's own timestamps) */
  readonly at: string;
  readonly stream_seq: number;
  /** why the ledger refused it; null: applied */
  readonly ignored: Exclude<IgnoreReason, 'duplicate'> | null;
  /** per kind: started {owner}, progress {counts}, completed/heal {outcome, counts, failures, owner}; null when empty */
  readonly detail: Record<string, unknown> | null;
}

export function recordsIgnored(reason: IgnoreReason): reason is Exclude<IgnoreReason, 'duplicate'> {
  return reason !== 'duplicate';
}

export function timelineRow(event: LedgerEventV1, streamSeq: number, now: Date, ignored: TimelineRow['ignored']): TimelineRow {
  const at = new Date(Math.min(Date.parse(event.at), now.getTime())).toISOString();
  const owner = event.owner === undefined ? {} : { owner: event.owner };
  const base = { run_id: event.run_id, attempt: event.attempt, seq: event.seq, at, stream_seq: streamSeq, ignored };
  switch (event.kind) {
    case 'started':
      return { ...base, kind: 'started', detail: event.owner === undefined ? null : owner };
    case 'progress':
      // the bulk of a long run's entries: counters only
      return { ...base, kind: 'progress', detail: { counts: event.counts } };
    case 'completed':
      return {
        ...base,
        kind: event.heal === true ? 'heal' : 'completed',
        detail: {
          outcome: event.outcome,
          counts: event.counts,
          ...(event.failures.length > 0 ? { failures: event.failures } : {}),
          ...owner,
        },
      };
  }
}
