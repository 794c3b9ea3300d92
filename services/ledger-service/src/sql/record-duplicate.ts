import type { RunRow } from '../repositories/run-view.ts';
import { RUN_COLUMNS } from './run-columns.ts';
import { statement } from './statement.ts';

/**
 * record_duplicate: a worker skipped a duplicate job of this run — counted on
 * the canonical run.
 *
 * Inputs: `$run_id`, `$workspace_id`, `$now` (the ledger's clock). Output: the
 * run's row after the increment, or none (not in this workspace). Locks: the
 * row, for the increment. Race: none to handle — the increment is relative
 * (`dedupe_hits + 1`), so concurrent duplicates and ensure_run's own
 * increments all count.
 */
export const RECORD_DUPLICATE = statement<'run_id' | 'workspace_id' | 'now', RunRow>(
  'record_duplicate_v1',
  `UPDATE operation_runs SET dedupe_hits = dedupe_hits + 1, updated_at = $now::timestamptz
    WHERE id = $run_id::uuid AND workspace_id = $workspace_id::uuid
   RETURNING ${RUN_COLUMNS}`,
);
