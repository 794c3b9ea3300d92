import type { EntityManager } from '@mikro-orm/postgresql';
import { uuidArray } from '@ops/db';

export interface PolicyRef {
  readonly id: string;
  readonly externalId: string;
  readonly name: string;
}

export interface Selection {
  readonly tenantExternalId: string;
  readonly policies: readonly PolicyRef[];
}

/**
 * Resolves a job's selection (read-only, as ops_worker): the tenant's Graph
 * directory id and the selected policies — all of the tenant's when the
 * selection is empty. Scoped by workspace and tenant: a job cannot reach
 * another tenant's policies.
 */
export async function resolveSelection(
  em: EntityManager,
  job: { workspace_id: string; tenant_id: string; policy_ids: readonly string[] },
): Promise<Selection | null> {
  // one statement through MikroORM's connection, no entity hydration: this
  // is on every job's path (the W1 profile had MikroORM's unit of work at
  // 22 % of the worker's CPU, docs/performance.md)
  const rows = await em
    .fork()
    .execute<Array<{ tenant_external_id: string; id: string | null; external_id: string | null; name: string | null }>>(
      `SELECT t.external_id AS tenant_external_id, p.id, p.external_id, p.name
       FROM tenants t
       LEFT JOIN policies p ON p.tenant_id = t.id AND (cardinality(?::uuid[]) = 0 OR p.id = ANY(?::uuid[]))
      WHERE t.id = ? AND t.workspace_id = ?
      ORDER BY p.name, p.id`,
      [uuidArray(job.policy_ids), uuidArray(job.policy_ids), job.tenant_id, job.workspace_id],
    );
  const first = rows[0];
  if (!first) return null;
  return {
    tenantExternalId: first.tenant_external_id,
    policies: rows
      .filter((r) => r.id !== null)
      .map((r) => ({ id: r.id as string, externalId: r.external_id as string, name: r.name as string })),
  };
}
