import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { GraphAssignment } from '@ops/graph';

/** The worker's own table: what a fetch read, per run and policy (never operation_runs). */
export interface Snapshots {
  /** insert, or overwrite this run's earlier attempt for the policy */
  save(snapshot: {
    workspaceId: string;
    tenantId: string;
    policyId: string;
    runId: string;
    assignments: readonly GraphAssignment[];
    at: Date;
  }): Promise<void>;
  /** the newest snapshot of a policy, or null */
  latest(policyId: string): Promise<GraphAssignment[] | null>;
}

/**
 * Plain statements through MikroORM's connection (no unit of work, no
 * hydration): one per item on every job's path (docs/performance.md).
 */
export function createSnapshots(em: EntityManager): Snapshots {
  return {
    async save(s) {
      const assignments = s.assignments.map((a) => ({ id: a.id, target: { ...a.target } }));
      await em.fork().execute(
        `INSERT INTO assignment_snapshots (id, workspace_id, tenant_id, policy_id, run_id, assignments, assignment_count, fetched_at)
         VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?)
         ON CONFLICT (run_id, policy_id) DO UPDATE
           SET assignments = excluded.assignments, assignment_count = excluded.assignment_count, fetched_at = excluded.fetched_at`,
        [randomUUID(), s.workspaceId, s.tenantId, s.policyId, s.runId, JSON.stringify(assignments), assignments.length, s.at],
      );
    },
    async latest(policyId) {
      const [row] = await em
        .fork()
        .execute<Array<{ assignments: GraphAssignment[] }>>(
          'SELECT assignments FROM assignment_snapshots WHERE policy_id = ? ORDER BY fetched_at DESC LIMIT 1',
          [policyId],
        );
      return row ? row.assignments : null;
    },
  };
}
