import { type Pool, uuidArray } from '@ops/db/pg';

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
 * Inputs: `$1` the selected policy ids (a uuid array literal; empty = every
 * policy of the tenant), `$2` tenant id, `$3` workspace id. Output: one row
 * per selected policy with the tenant's Graph directory id, or one row with
 * null policy columns when none is selected or found; none when the tenant is
 * not in the workspace. Locks: none (read-only, as ops_worker).
 */
const RESOLVE_SELECTION = {
  name: 'worker_resolve_selection_v1',
  text: `SELECT t.external_id AS tenant_external_id, p.id, p.external_id, p.name
           FROM tenants t
           LEFT JOIN policies p ON p.tenant_id = t.id AND (cardinality($1::uuid[]) = 0 OR p.id = ANY($1::uuid[]))
          WHERE t.id = $2::uuid AND t.workspace_id = $3::uuid
          ORDER BY p.name, p.id`,
};

/**
 * Resolves a job's selection (read-only, as ops_worker): the tenant's Graph
 * directory id and the selected policies — all of the tenant's when the
 * selection is empty. Scoped by workspace and tenant: a job cannot reach
 * another tenant's policies. A prepared statement on the worker's pool: on
 * every job's path, planned once per connection.
 */
export async function resolveSelection(
  db: Pool,
  job: { workspace_id: string; tenant_id: string; policy_ids: readonly string[] },
): Promise<Selection | null> {
  const { rows } = await db.query<{ tenant_external_id: string; id: string | null; external_id: string | null; name: string | null }>({
    ...RESOLVE_SELECTION,
    values: [uuidArray(job.policy_ids), job.tenant_id, job.workspace_id],
  });
  const first = rows[0];
  if (!first) return null;
  return {
    tenantExternalId: first.tenant_external_id,
    policies: rows
      .filter((r) => r.id !== null)
      .map((r) => ({ id: r.id as string, externalId: r.external_id as string, name: r.name as string })),
  };
}
