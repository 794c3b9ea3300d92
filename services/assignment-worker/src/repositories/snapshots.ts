import type { EntityManager } from '@mikro-orm/postgresql';
import { AssignmentSnapshot } from '@ops/db';
import type { GraphAssignment } from '@ops/graph';
import { randomUUID } from 'node:crypto';

/** The worker's own table: what a fetch read, per run and policy (never operation_runs). */
export interface Snapshots {
  /** insert, or overwrite this run's earlier attempt for the policy */
  save(snapshot: { workspaceId: string; tenantId: string; policyId: string; runId: string; assignments: readonly GraphAssignment[]; at: Date }): Promise<void>;
  /** the newest snapshot of a policy, or null */
  latest(policyId: string): Promise<GraphAssignment[] | null>;
}

export function createSnapshots(em: EntityManager): Snapshots {
  return {
    async save(s) {
      await em.fork().upsert(
        AssignmentSnapshot,
        {
          id: randomUUID(),
          workspace_id: s.workspaceId,
          tenant_id: s.tenantId,
          policy_id: s.policyId,
          run_id: s.runId,
          assignments: s.assignments.map((a) => ({ id: a.id, target: { ...a.target } })),
          assignment_count: s.assignments.length,
          fetched_at: s.at,
        },
        { onConflictFields: ['run_id', 'policy_id'], onConflictExcludeFields: ['id'] },
      );
    },
    async latest(policyId) {
      const row = await em.fork().findOne(AssignmentSnapshot, { policy_id: policyId }, { orderBy: { fetched_at: 'desc' } });
      return row ? row.assignments : null;
    },
  };
}
