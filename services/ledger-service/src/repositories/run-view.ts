import type { RunV1 } from '@ops/contracts';
import { pgTimestamp } from './sql-values.ts';

/** A row of operation_runs as the driver returns it (timestamps as Date, bigint as string). */
export interface RunRow {
  id: string;
  workspace_id: string;
  tenant_id: string | null;
  user_id: string | null;
  initiator_name: string;
  type: string;
  status: string;
  outcome: string;
  run_identity_hash: string;
  summary_counts: Record<string, number>;
  failure_summary: Array<{ code: string; message: string; count: number }>;
  context: Record<string, unknown>;
  attempt: number;
  event_seq: number;
  dedupe_hits: number;
  last_event_stream_seq: string | number | null;
  last_event_at: Date | string | null;
  started_at: Date | string | null;
  completed_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
  closed_by_heal: boolean;
  /** job messages the ledger published (0: none stored, or unknown) — not part of the public run view */
  job_generation: number;
}

function iso(value: Date | string | null): string | null {
  return pgTimestamp(value)?.toISOString() ?? null;
}

/** The run object of the API (docs/cli.md): the ledger's column names, ISO-8601 UTC timestamps. */
export function toRunView(row: RunRow): RunV1 {
  return {
    id: row.id,
    workspace_id: row.workspace_id,
    tenant_id: row.tenant_id,
    type: row.type as RunV1['type'],
    status: row.status as RunV1['status'],
    outcome: row.outcome as RunV1['outcome'],
    run_identity_hash: row.run_identity_hash,
    summary_counts: row.summary_counts,
    failure_summary: row.failure_summary as RunV1['failure_summary'],
    context: row.context,
    attempt: row.attempt,
    dedupe_hits: row.dedupe_hits,
    initiator_name: row.initiator_name,
    started_at: iso(row.started_at),
    completed_at: iso(row.completed_at),
    created_at: iso(row.created_at) as string,
    updated_at: iso(row.updated_at) as string,
  };
}

/** A row of a paged listing: the run and its sort timestamp (sql/page-at.ts). */
export type PagedRow = RunRow & { readonly page_at: string };
