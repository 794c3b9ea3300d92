/** The columns of operation_runs every statement returns (a RunRow, repositories/run-view.ts). */
const COLUMNS = [
  'id',
  'workspace_id',
  'tenant_id',
  'user_id',
  'initiator_name',
  'type',
  'status',
  'outcome',
  'run_identity_hash',
  'summary_counts',
  'failure_summary',
  'context',
  'attempt',
  'event_seq',
  'dedupe_hits',
  'last_event_stream_seq',
  'last_event_at',
  'started_at',
  'completed_at',
  'created_at',
  'updated_at',
  'closed_by_heal',
  'job_generation',
] as const;

export const RUN_COLUMNS = COLUMNS.join(', ');

/** the same columns of a table alias (`o.id, o.workspace_id, …`) */
export function runColumnsOf(alias: string): string {
  return COLUMNS.map((c) => `${alias}.${c}`).join(', ');
}
