import type { TimelineEntryV1, TimelineKind } from '@ops/contracts';
import type { TimelineDbRow } from '../sql/run-timeline.ts';
import { pgBigint, pgTimestamp } from './sql-values.ts';

/**
 * A timeline entry of the API (get_run_timeline) from its row: ISO-8601 UTC
 * time; an event's OPS_LEDGER sequence and, for an event the ledger refused,
 * the reason (`ignored`) go into its detail.
 */
export function toTimelineEntry(row: TimelineDbRow): TimelineEntryV1 {
  const detail: Record<string, unknown> = { ...(row.detail ?? {}) };
  const streamSeq = pgBigint(row.stream_seq);
  if (streamSeq !== null) detail['stream_seq'] = streamSeq;
  if (row.ignored !== null) detail['ignored'] = row.ignored;
  return {
    // at is NOT NULL in both tables
    at: pgTimestamp(row.at)!.toISOString(),
    attempt: row.attempt,
    kind: row.kind as TimelineKind,
    seq: row.seq,
    detail,
  };
}
