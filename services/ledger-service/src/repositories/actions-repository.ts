import type { EntityManager, PostgreSqlConnection } from '@mikro-orm/postgresql';
import type { ActionV1 } from '@ops/contracts';
import type { Pool } from 'pg';
import type { StoredJobSeq } from '../handlers/job-seqs.ts';
import { type ActionRow, CANCEL_RUN, INSERT_ACTION, JOB_STREAM_SEQ, RECORD_JOB_SEQS, RUN_WORKSPACE } from '../sql/run-actions.ts';
import { execute } from '../sql/statement.ts';
import type { RunRow } from './run-view.ts';
import { pgBigint, pgTimestamp } from './sql-values.ts';

/** An action to record: who, why, what it did. */
export interface ActionInput {
  readonly id: string;
  readonly workspaceId: string | null;
  readonly runId: string | null;
  readonly action: ActionV1['action'];
  readonly actor: string;
  readonly reason: string;
  readonly at: Date;
  readonly detail: Record<string, unknown>;
}

/** The operator actions' reads and writes of PostgreSQL (sql/run-actions.ts); the ledger's alone, like runs-repository. */
export interface ActionsRepository {
  record(action: ActionInput): Promise<ActionV1>;
  /** closes a queued/running run `cancelled` and records the action in one statement; null: not in the workspace, or completed first */
  cancelRun(input: { action: ActionInput; attempt: number; message: string }): Promise<{ row: RunRow; action: ActionV1 } | null>;
  /** the OPS_JOBS sequence each run's job was stored at (handlers/job-seqs.ts batches the calls) */
  recordJobSeqs(rows: readonly StoredJobSeq[]): Promise<void>;
  /** the run's last stored job sequence; null when unknown (or the run is not in the workspace) */
  jobStreamSeq(workspaceId: string, runId: string): Promise<number | null>;
  /** the workspace of a run known by id alone; null when there is no such run */
  runWorkspace(runId: string): Promise<string | null>;
}

export function toActionView(row: ActionRow): ActionV1 {
  return {
    id: row.id,
    action: row.action as ActionV1['action'],
    actor: row.actor,
    reason: row.reason,
    at: (pgTimestamp(row.at) as Date).toISOString(),
    workspace_id: row.workspace_id,
    run_id: row.run_id,
    detail: row.detail,
  };
}

export function createActionsRepository(em: EntityManager): ActionsRepository {
  let pool: Promise<Pool> | undefined;
  const db = () => {
    pool ??= (em.getConnection() as PostgreSqlConnection).getNativeClient();
    return pool;
  };
  const values = (a: ActionInput) => ({
    id: a.id,
    workspace_id: a.workspaceId,
    run_id: a.runId,
    action: a.action,
    actor: a.actor,
    reason: a.reason,
    at: a.at.toISOString(),
    detail: JSON.stringify(a.detail),
  });
  return {
    async record(action) {
      const [row] = await execute(await db(), INSERT_ACTION, values(action));
      return toActionView(row!);
    },
    async cancelRun({ action, attempt, message }) {
      const v = values(action);
      const [row] = await execute(await db(), CANCEL_RUN, {
        run_id: action.runId,
        workspace_id: action.workspaceId,
        attempt,
        message,
        action_id: v.id,
        actor: v.actor,
        reason: v.reason,
        detail: v.detail,
        now: v.at,
      });
      if (!row) return null;
      const { action: stored, ...run } = row;
      return { row: run as RunRow, action: toActionView(stored) };
    },
    async recordJobSeqs(rows) {
      if (rows.length === 0) return;
      await execute(await db(), RECORD_JOB_SEQS, { rows: JSON.stringify(rows) });
    },
    async jobStreamSeq(workspaceId, runId) {
      const [row] = await execute(await db(), JOB_STREAM_SEQ, { workspace_id: workspaceId, run_id: runId });
      return row ? pgBigint(row.job_stream_seq) : null;
    },
    async runWorkspace(runId) {
      const [row] = await execute(await db(), RUN_WORKSPACE, { run_id: runId });
      return row?.workspace_id ?? null;
    },
  };
}
