import type { PagedRow } from '../repositories/run-view.ts';
import { pageAt } from './page-at.ts';
import { RUN_COLUMNS } from './run-columns.ts';
import { statement } from './statement.ts';

/** running runs (0) before queued ones (1): a stuck running run is never starved by a queued backlog */
const ACTIVE_RANK = "(CASE WHEN status = 'running' THEN 0 ELSE 1 END)";
const QUIET_SINCE = 'coalesce(last_event_at, created_at)';

/**
 * list_active_runs (housekeeping): a workspace's queued and running runs with
 * no sign of life since `$quiet_since`, running ones first, each the longest
 * quiet first; one keyset page.
 *
 * Inputs: `$workspace_id`, `$quiet_since`; the cursor's position `$cursor_rank`
 * + `$cursor_at` + `$cursor_id` (all null on the first page); `$limit` (one
 * more than shown). Output: the runs (RUN_COLUMNS) and `page_at` (their quiet
 * time with microseconds, the next cursor). Locks: none. Race: a run that
 * shows life while housekeeping pages drops out of later pages or is judged
 * on stale data — housekeeping decides from the lease and the ledger's
 * caught-up check, never from this listing alone. Not prepared (see LIST_RUNS).
 */
export const LIST_ACTIVE_RUNS = statement<'workspace_id' | 'quiet_since' | 'cursor_rank' | 'cursor_at' | 'cursor_id' | 'limit', PagedRow>(
  'list_active_runs_v1',
  `SELECT ${RUN_COLUMNS}, ${pageAt(QUIET_SINCE)} FROM operation_runs
    WHERE workspace_id = $workspace_id::uuid AND status IN ('queued', 'running')
      AND ${QUIET_SINCE} < $quiet_since::timestamptz
      AND ($cursor_rank::integer IS NULL
           OR (${ACTIVE_RANK}, ${QUIET_SINCE}, id) > ($cursor_rank::integer, $cursor_at::timestamptz, $cursor_id::uuid))
    ORDER BY ${ACTIVE_RANK}, ${QUIET_SINCE}, id
    LIMIT $limit::integer`,
  { prepare: false },
);
