import type { EntityManager } from '@mikro-orm/postgresql';
import { Policy, Tenant } from '@ops/db';

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
  const fork = em.fork();
  const tenant = await fork.findOne(Tenant, { id: job.tenant_id, workspace_id: job.workspace_id });
  if (!tenant) return null;
  const where = job.policy_ids.length > 0 ? { tenant_id: tenant.id, id: { $in: [...job.policy_ids] } } : { tenant_id: tenant.id };
  const policies = await fork.find(Policy, where, { orderBy: { name: 'asc', id: 'asc' } });
  return {
    tenantExternalId: tenant.external_id,
    policies: policies.map((p) => ({ id: p.id, externalId: p.external_id, name: p.name })),
  };
}
