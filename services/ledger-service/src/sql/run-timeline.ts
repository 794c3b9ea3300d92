import { pageAt } from './page-at.ts';
import { statement } from './statement.ts';

/** A row of get_run_timeline as the driver returns it. */
export interface TimelineDbRow {
  at: Date | string;
  /** `at` with microseconds (the cursor) */
  page_at: string;
  /** the tie-break within one instant: '0' + the event row's id (19 digits), or '1' + the action's uuid */
  k: string;
  kind: string;
  attempt: number | null;
  seq: number | null;
  stream_seq: string | number | null;
  ignored: string | null;
  detail: Record<string, unknown> | null;
}

/**
 * get_run_timeline: one keyset page of a run's timeline, oldest first — its
 * run_events rows (events, heals, duplicates) and its run_actions rows
 * (operator actions), merged by time.
 *
 * Inputs: `$run_id`, `$workspace_id` (the caller checked that the run is in
 * this workspace; actions are filtered by it as well), the cursor's position
 * `$cursor_at` + `$cursor_k` (both null on the first page), `$limit` (the
 * caller asks one more than it shows, to know whether more follow).
 *
 * Output: TimelineDbRow; an action's `detail` is its own detail with
 * `action`, `actor` and `reason` over it (a detail key never hides who did
 * it). Order: `(at, k)` — events of one instant in the order the ledger
 * wrote them, then actions. Locks: none. Race: an entry written while an
 * operator pages lands after the cursor unless its time is earlier (an event
 * applied late keeps its own time): the next `runs show` sees it.
 *
 * Index: run_events_run_event (run_id first) and run_actions_run
 * (run_id, at): both read one run's rows; a run has a few hundred entries at
 * most (progress every heartbeat), sorted in memory.
 */
export const GET_RUN_TIMELINE = statement<'run_id' | 'workspace_id' | 'cursor_at' | 'cursor_k' | 'limit', TimelineDbRow>(
  'get_run_timeline_v1',
  `SELECT t.at, ${pageAt('t.at')}, t.k, t.kind, t.attempt, t.seq, t.stream_seq, t.ignored, t.detail
     FROM (
       SELECT e.at, '0' || lpad(e.id::text, 19, '0') AS k, e.kind, e.attempt, e.seq, e.stream_seq, e.ignored, e.detail
         FROM run_events e
        WHERE e.run_id = $run_id::uuid
       UNION ALL
       SELECT a.at, '1' || a.id::text, 'action', NULL, NULL, NULL, NULL,
              a.detail || jsonb_build_object('action', a.action, 'actor', a.actor, 'reason', a.reason)
         FROM run_actions a
        WHERE a.run_id = $run_id::uuid AND a.workspace_id = $workspace_id::uuid
     ) AS t
    WHERE $cursor_at::timestamptz IS NULL OR (t.at, t.k) > ($cursor_at::timestamptz, $cursor_k::text)
    ORDER BY t.at, t.k
    LIMIT $limit::integer`,
);
