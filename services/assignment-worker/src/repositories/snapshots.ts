import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
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
 * Plain statements through MikroORM's connection (no unit of work, no
 * hydration): one per item on every job's path (docs/performance.md).
 */
export function createSnapshots(em: EntityManager): Snapshots {
  return {
    async save(s, signal) {
      const assignments = s.assignments.map((a) => ({ id: a.id, target: { ...a.target } }));
      // a zombie attempt's write that lands late never replaces a newer attempt's row
      await em.fork().execute(
        `INSERT INTO assignment_snapshots (id, workspace_id, tenant_id, policy_id, run_id, attempt, assignments, assignment_count, fetched_at)
         VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)
         ON CONFLICT (run_id, policy_id) DO UPDATE
           SET attempt = excluded.attempt, assignments = excluded.assignments,
               assignment_count = excluded.assignment_count, fetched_at = excluded.fetched_at
         WHERE assignment_snapshots.attempt <= excluded.attempt`,
        [randomUUID(), s.workspaceId, s.tenantId, s.policyId, s.runId, s.attempt, JSON.stringify(assignments), assignments.length, s.at],
        { signal },
      );
    },
    async latest(policyId, signal) {
      const [row] = await em
        .fork()
        .execute<Array<{ assignments: GraphAssignment[] }>>(
          'SELECT assignments FROM assignment_snapshots WHERE policy_id = ? ORDER BY fetched_at DESC LIMIT 1',
          [policyId],
          { signal },
        );
      return row ? row.assignments : null;
    },
  };
}
