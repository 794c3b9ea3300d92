import type { RunRow } from '../repositories/run-view.ts';
import { RUN_COLUMNS } from './run-columns.ts';
import { statement } from './statement.ts';

/**
 * Applying a batch of ledger events: two statements per batch, no
 * transaction (issue #18, item 4). The rule deciding each event stays in
 * domain/apply-event.ts; SQL only reads and writes.
 */

/**
 * Read the batch's runs.
 *
 * Inputs: `$run_ids` (a uuid array literal). Output: the rows (RUN_COLUMNS);
 * an id with no row is an unknown run. Locks: none — the write below checks
 * what was read instead of holding locks across the decision.
 */
export const READ_RUNS = statement<'run_ids', RunRow>(
  'apply_events_read_v1',
  `SELECT ${RUN_COLUMNS} FROM operation_runs WHERE id = ANY($run_ids::uuid[])`,
);

/**
 * Write every run the batch changed, in ONE conditional UPDATE.
 *
 * Inputs: `$rows` jsonb — per run its new state (status, outcome, attempt,
 * event_seq, summary_counts, failure_summary, started_at, completed_at,
 * last_event_at, last_event_stream_seq, closed_by_heal) and what was read
 * (read_status, read_attempt, read_event_seq, read_stream_seq, read_heal);
 * `$now`. Output: the ids written. Locks: each written row, for the UPDATE.
 *
 * The race it handles: another writer (a second ledger replica, ensure_run's
 * dedupe_hits, a re-publish's job_generation) may change a row between the
 * read and this write. A row is written only WHERE it still is what was read
 * in every column the decision used; the caller reads the rows that were not
 * written again and decides their events again. Columns the decision does
 * not use (dedupe_hits, job_generation) are not compared and not written, so
 * their concurrent increments stay.
 */
export const WRITE_RUNS = statement<'rows' | 'now', { id: string }>(
  'apply_events_write_v1',
  `UPDATE operation_runs AS r SET
     status = x.status, outcome = x.outcome, attempt = x.attempt, event_seq = x.event_seq,
     summary_counts = x.summary_counts, failure_summary = x.failure_summary,
     started_at = x.started_at, completed_at = x.completed_at, last_event_at = x.last_event_at,
     last_event_stream_seq = x.last_event_stream_seq, closed_by_heal = x.closed_by_heal, updated_at = $now::timestamptz
   FROM jsonb_to_recordset($rows::jsonb) AS x(
     id uuid, status text, outcome text, attempt integer, event_seq integer, summary_counts jsonb,
     failure_summary jsonb, started_at timestamptz, completed_at timestamptz, last_event_at timestamptz,
     last_event_stream_seq bigint, closed_by_heal boolean,
     read_status text, read_attempt integer, read_event_seq integer, read_stream_seq bigint, read_heal boolean)
   WHERE r.id = x.id
     AND r.status = x.read_status AND r.attempt = x.read_attempt AND r.event_seq = x.read_event_seq
     AND r.last_event_stream_seq IS NOT DISTINCT FROM x.read_stream_seq AND r.closed_by_heal = x.read_heal
   RETURNING r.id`,
);
