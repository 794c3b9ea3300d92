import type { RunRow } from '../repositories/run-view.ts';
import { RUN_COLUMNS } from './run-columns.ts';
import { statement } from './statement.ts';

/**
 * Applying a batch of ledger events: two statements per batch, no
 * transaction (issue #18, item 4); the write also appends the run timeline
 * (issue #21). The rule deciding each event stays in domain/apply-event.ts
 * (and what the timeline records in domain/timeline.ts); SQL only reads and
 * writes.
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
 * Write every run the batch changed, in ONE conditional UPDATE, and append
 * the batch's timeline entries to run_events in the same statement (a
 * data-modifying CTE over the rows written: no extra round trip, and an
 * entry exists exactly when its run's write happened).
 *
 * Inputs: `$rows` jsonb — per run its new state (status, outcome, attempt,
 * event_seq, summary_counts, failure_summary, started_at, completed_at,
 * last_event_at, last_event_stream_seq, closed_by_heal) and what was read
 * (read_status, read_attempt, read_event_seq, read_stream_seq, read_heal);
 * `$entries` jsonb — the timeline rows (domain/timeline.ts) in batch order
 * (`i`), each with `dirty`: true when it belongs to a run in `$rows` (an
 * applied event, or a refused one of a run the batch also changed), so it is
 * appended only if that run's write happened; `$now`. Output: the ids
 * written. Locks: each written row, for the UPDATE; the unique index entry
 * of each appended row.
 *
 * The race it handles: another writer (a second ledger replica, ensure_run's
 * dedupe_hits, a re-publish's job_generation) may change a row between the
 * read and this write. A row is written only WHERE it still is what was read
 * in every column the decision used; the caller reads the rows that were not
 * written again and decides their events again — their entries were not
 * appended and come with that decision. Columns the decision does not use
 * (dedupe_hits, job_generation) are not compared and not written, so their
 * concurrent increments stay. A redelivered, replayed or re-published event
 * (one run, attempt and seq) appends nothing twice: `ON CONFLICT (run_id,
 * attempt, seq) DO NOTHING` — never an error, which would dead-letter a
 * valid event.
 */
export const WRITE_RUNS = statement<'rows' | 'entries' | 'now', { id: string }>(
  'apply_events_write_v2',
  `WITH written AS (
     UPDATE operation_runs AS r SET
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
     RETURNING r.id
   ), timeline AS (
     INSERT INTO run_events (run_id, kind, attempt, seq, at, stream_seq, ignored, detail)
     SELECT e.run_id, e.kind, e.attempt, e.seq, e.at, e.stream_seq, e.ignored, e.detail
       FROM jsonb_to_recordset($entries::jsonb) AS e(
         i integer, run_id uuid, kind text, attempt integer, seq integer, at timestamptz, stream_seq bigint,
         ignored text, detail jsonb, dirty boolean)
      WHERE NOT e.dirty OR e.run_id IN (SELECT id FROM written)
      ORDER BY e.i
     ON CONFLICT (run_id, attempt, seq) DO NOTHING
   )
   SELECT id FROM written`,
);
