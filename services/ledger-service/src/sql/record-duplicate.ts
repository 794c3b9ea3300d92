import type { RunRow } from '../repositories/run-view.ts';
import { RUN_COLUMNS } from './run-columns.ts';
import { statement } from './statement.ts';

/**
 * record_duplicate: a worker skipped a duplicate job of this run — counted on
 * the canonical run and appended to its timeline (a `duplicate` entry of
 * run_events with the worker's reason), in one statement.
 *
 * Inputs: `$run_id`, `$workspace_id`, `$now` (the ledger's clock), `$reason`
 * (the contract's DuplicateReason). Output: the run's row after the
 * increment, or none (not in this workspace: then no entry either). Locks:
 * the row, for the increment. Race: none to handle — the increment is
 * relative (`dedupe_hits + 1`), so concurrent duplicates and ensure_run's own
 * increments all count; each request appends its own entry.
 */
export const RECORD_DUPLICATE = statement<'run_id' | 'workspace_id' | 'now' | 'reason', RunRow>(
  'record_duplicate_v2',
  `WITH counted AS (
     UPDATE operation_runs SET dedupe_hits = dedupe_hits + 1, updated_at = $now::timestamptz
      WHERE id = $run_id::uuid AND workspace_id = $workspace_id::uuid
     RETURNING ${RUN_COLUMNS}
   ), timeline AS (
     INSERT INTO run_events (run_id, kind, at, detail)
     SELECT id, 'duplicate', $now::timestamptz, jsonb_build_object('reason', $reason::text) FROM counted
   )
   SELECT * FROM counted`,
);
