import type { PagedRow } from '../repositories/run-view.ts';
import { pageAt } from './page-at.ts';
import { RUN_COLUMNS } from './run-columns.ts';
import { statement } from './statement.ts';

/**
 * list_runs: a workspace's runs, newest first, one keyset page.
 *
 * Inputs: `$workspace_id`; optional filters, null when not given:
 * `$tenant_id`, `$type`, `$status`, `$outcome`, `$failure_code` (runs whose
 * failure_summary holds an entry `{"code": $failure_code, …}`), `$initiator`
 * (initiator_name, exact), `$created_after` (inclusive), `$created_before`
 * (exclusive); the cursor's position `$cursor_at` + `$cursor_id` (both null
 * on the first page); `$limit` (the caller asks one more than it shows, to
 * know whether more follow).
 *
 * Output: the runs (RUN_COLUMNS) and `page_at`, each row's created_at with
 * microseconds (the next cursor). Locks: none. Race: rows created while an
 * operator pages are newer than the cursor and never shift a later page
 * (keyset, not offset). Not prepared: a generic plan would not see which
 * optional filters are null (with the values in hand PostgreSQL folds the
 * absent ones away).
 *
 * Index: operation_runs_workspace_created (workspace_id, created_at DESC,
 * id DESC) gives the order, the time range and the cursor; every other filter
 * is checked on the rows that walk visits. A filter every row matches costs
 * nothing; a rare one (a failure code, one initiator) reads the workspace's
 * rows until the page is full.
 *
 * failure_summary is a jsonb array of `{code, message, count}` (the ledger
 * writes it from the completed event): `@>` with `[{"code": …}]` matches an
 * entry by its code alone, whatever its message and count.
 */
export const LIST_RUNS = statement<
  | 'workspace_id'
  | 'tenant_id'
  | 'type'
  | 'status'
  | 'outcome'
  | 'failure_code'
  | 'initiator'
  | 'created_after'
  | 'created_before'
  | 'cursor_at'
  | 'cursor_id'
  | 'limit',
  PagedRow
>(
  'list_runs_v1',
  `SELECT ${RUN_COLUMNS}, ${pageAt('created_at')} FROM operation_runs
    WHERE workspace_id = $workspace_id::uuid
      AND ($tenant_id::uuid IS NULL OR tenant_id = $tenant_id::uuid)
      AND ($type::text IS NULL OR type = $type::text)
      AND ($status::text IS NULL OR status = $status::text)
      AND ($outcome::text IS NULL OR outcome = $outcome::text)
      AND ($failure_code::text IS NULL OR failure_summary @> jsonb_build_array(jsonb_build_object('code', $failure_code::text)))
      AND ($initiator::text IS NULL OR initiator_name = $initiator::text)
      AND ($created_after::timestamptz IS NULL OR created_at >= $created_after::timestamptz)
      AND ($created_before::timestamptz IS NULL OR created_at < $created_before::timestamptz)
      AND ($cursor_at::timestamptz IS NULL OR (created_at, id) < ($cursor_at::timestamptz, $cursor_id::uuid))
    ORDER BY created_at DESC, id DESC
    LIMIT $limit::integer`,
  { prepare: false },
);
