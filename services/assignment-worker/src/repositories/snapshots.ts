import { randomUUID } from 'node:crypto';
import { type Pool, queryUntilAborted } from '@ops/db/pg';
import type { GraphAssignment } from '@ops/graph';

/** The worker's own table: what a fetch read, per run and policy (never operation_runs). */
export interface Snapshots {
  /** insert, or overwrite this run's row of the policy — only when written by the same or an earlier attempt */
  save(
    snapshot: {
      workspaceId: string;
      tenantId: string;
      policyId: string;
      runId: string;
      attempt: number;
      assignments: readonly GraphAssignment[];
      at: Date;
    },
    signal: AbortSignal,
  ): Promise<void>;
  /** the newest snapshot of a policy, or null */
  latest(policyId: string, signal: AbortSignal): Promise<GraphAssignment[] | null>;
}

/**
 * Insert, or overwrite this run's row of the policy. Inputs: id, workspace,
 * tenant, policy, run, attempt, assignments (jsonb), their count, fetched_at.
 * Locks: the row of (run, policy). The race it handles: a zombie attempt's
 * write that lands late (its lease lost while the statement was in flight)
 * never replaces a newer attempt's row — `WHERE attempt <= excluded.attempt`.
 */
const SAVE_SNAPSHOT = {
  name: 'worker_save_snapshot_v1',
  text: `INSERT INTO assignment_snapshots (id, workspace_id, tenant_id, policy_id, run_id, attempt, assignments, assignment_count, fetched_at)
         VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5::uuid, $6::integer, $7::jsonb, $8::integer, $9::timestamptz)
         ON CONFLICT (run_id, policy_id) DO UPDATE
           SET attempt = excluded.attempt, assignments = excluded.assignments,
               assignment_count = excluded.assignment_count, fetched_at = excluded.fetched_at
         WHERE assignment_snapshots.attempt <= excluded.attempt`,
};

/** The newest snapshot of a policy (`$1`), whichever run took it. Locks: none. */
const LATEST_SNAPSHOT = {
  name: 'worker_latest_snapshot_v1',
  text: 'SELECT assignments FROM assignment_snapshots WHERE policy_id = $1::uuid ORDER BY fetched_at DESC LIMIT 1',
};

/**
 * Prepared statements on the worker's pool, one per item on every job's path;
 * each gives up when the item's signal aborts (lease lost, shutdown).
 */
export function createSnapshots(db: Pool): Snapshots {
  return {
    async save(s, signal) {
      const assignments = s.assignments.map((a) => ({ id: a.id, target: { ...a.target } }));
      await queryUntilAborted(
        db,
        {
          ...SAVE_SNAPSHOT,
          values: [
            randomUUID(),
            s.workspaceId,
            s.tenantId,
            s.policyId,
            s.runId,
            s.attempt,
            JSON.stringify(assignments),
            assignments.length,
            s.at.toISOString(),
          ],
        },
        signal,
      );
    },
    async latest(policyId, signal) {
      const [row] = await queryUntilAborted<{ assignments: GraphAssignment[] }>(db, { ...LATEST_SNAPSHOT, values: [policyId] }, signal);
      return row ? row.assignments : null;
    },
  };
}
