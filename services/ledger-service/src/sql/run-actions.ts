import type { RunRow } from '../repositories/run-view.ts';
import { RUN_COLUMNS } from './run-columns.ts';
import { statement } from './statement.ts';

/**
 * The operator actions' statements (issue #21): the audit record
 * (`run_actions`) and the run changes an action makes.
 */

/** A `run_actions` row as the driver returns it. */
export interface ActionRow {
  id: string;
  workspace_id: string | null;
  run_id: string | null;
  action: string;
  actor: string;
  reason: string;
  at: Date | string;
  detail: Record<string, unknown>;
}

const ACTION_COLUMNS = 'id, workspace_id, run_id, action, actor, reason, at, detail';

/**
 * Record one action. Inputs: the row's values (`$detail` jsonb). Output: the
 * stored row. Race: none — an append; its id is the caller's.
 */
export const INSERT_ACTION = statement<'id' | 'workspace_id' | 'run_id' | 'action' | 'actor' | 'reason' | 'at' | 'detail', ActionRow>(
  'insert_run_action_v1',
  `INSERT INTO run_actions (id, workspace_id, run_id, action, actor, reason, at, detail)
   VALUES ($id::uuid, $workspace_id::uuid, $run_id::uuid, $action, $actor, $reason, $at::timestamptz, $detail::jsonb)
   RETURNING ${ACTION_COLUMNS}`,
);

/**
 * Cancel: close a queued or running run `cancelled` with its last applied
 * counters, a `run.cancelled` failure entry (the oldest entries kept up to
 * the limit of 20) and the attempt the cancel took (the lease's attempt
 * allocator: every event of an older attempt is stale afterwards), and record
 * the action — ONE statement, so the close and its record exist together or
 * not at all.
 *
 * Inputs: `$run_id`, `$workspace_id`, `$attempt`, `$message` (the failure
 * entry's text), the action's `$action_id`, `$actor`, `$reason`, `$detail`,
 * `$now`. Output: the closed row with its action as `action` (jsonb), or none
 * when the run is not in the workspace or already completed. Locks: the row.
 * Race: a completed event applied first wins (`status <> 'completed'`); one
 * applied after finds a cancelled run, which nothing reopens
 * (domain/apply-event.ts).
 */
export const CANCEL_RUN = statement<
  'run_id' | 'workspace_id' | 'attempt' | 'message' | 'action_id' | 'actor' | 'reason' | 'detail' | 'now',
  RunRow & { action: ActionRow }
>(
  'cancel_run_v1',
  `WITH closed AS (
     UPDATE operation_runs AS r SET
       status = 'completed', outcome = 'cancelled', attempt = GREATEST(r.attempt, $attempt::integer),
       failure_summary = COALESCE(
         (SELECT jsonb_agg(e ORDER BY i) FROM jsonb_array_elements(r.failure_summary) WITH ORDINALITY AS f(e, i) WHERE i < 20),
         '[]'::jsonb) || jsonb_build_array(jsonb_build_object('code', 'run.cancelled', 'message', $message::text, 'count', 1)),
       completed_at = $now::timestamptz, closed_by_heal = false, updated_at = $now::timestamptz
     WHERE r.id = $run_id::uuid AND r.workspace_id = $workspace_id::uuid AND r.status <> 'completed'
     RETURNING ${RUN_COLUMNS}
   ), recorded AS (
     INSERT INTO run_actions (id, workspace_id, run_id, action, actor, reason, at, detail)
     SELECT $action_id::uuid, workspace_id, id, 'cancel', $actor, $reason, $now::timestamptz, $detail::jsonb FROM closed
     RETURNING ${ACTION_COLUMNS}
   )
   SELECT closed.*, to_jsonb(recorded.*) AS action FROM closed, recorded`,
);

/**
 * The OPS_JOBS sequences of just-stored jobs (after the publish acks; never
 * awaited by a caller). Inputs: `$rows` jsonb `[{id, seq}]`. A later
 * sequence (a re-publish) replaces an earlier one, never the reverse.
 */
export const RECORD_JOB_SEQS = statement<'rows', never>(
  'record_job_seqs_v1',
  `UPDATE operation_runs AS r SET job_stream_seq = x.seq
   FROM jsonb_to_recordset($rows::jsonb) AS x(id uuid, seq bigint)
   WHERE r.id = x.id AND (r.job_stream_seq IS NULL OR r.job_stream_seq < x.seq)`,
);

/** A run's last stored job sequence (null: unknown), or no row outside the workspace. */
export const JOB_STREAM_SEQ = statement<'run_id' | 'workspace_id', { job_stream_seq: string | null }>(
  'job_stream_seq_v1',
  'SELECT job_stream_seq FROM operation_runs WHERE id = $run_id::uuid AND workspace_id = $workspace_id::uuid',
);

/** The workspace of a run known by id alone (a lease names its run, not its workspace). */
export const RUN_WORKSPACE = statement<'run_id', { workspace_id: string }>(
  'run_workspace_v1',
  'SELECT workspace_id FROM operation_runs WHERE id = $run_id::uuid',
);
