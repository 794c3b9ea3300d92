import type { Orm } from '@ops/db';
import { Policy, Tenant, Workspace } from '@ops/db';
import { v4 as uuidv4 } from 'uuid';

/**
 * Idempotent seed data (FR-009/010): a workspace, N tenants each with a UUID
 * v4 external_id, a few policies per tenant. Rows are found by natural key
 * (workspace slug, tenant slug, policy name), so a second run creates
 * nothing; an advisory lock serialises concurrent seeders.
 */
export interface SeedOptions {
  readonly workspaceSlug: string;
  readonly tenants: number;
  readonly policiesPerTenant: number;
}

export interface SeedReport {
  workspace: { id: string; slug: string; name: string; created: boolean };
  tenants: Array<{ id: string; slug: string; external_id: string; name: string; created: boolean; policies_created: number }>;
  created: { workspaces: number; tenants: number; policies: number };
}

const TENANT_NAMES = ['Contoso', 'Fabrikam', 'Northwind Traders', 'Tailspin Toys', 'Wide World Importers', 'Adventure Works'];
const POLICY_NAMES = [
  'Windows compliance baseline',
  'BitLocker encryption',
  'Microsoft Edge security baseline',
  'Corporate Wi-Fi profile',
  'iOS device restrictions',
  'Defender antivirus configuration',
];
const SEED_LOCK = 960_096;

export function tenantName(i: number): string {
  return TENANT_NAMES[i] ?? `Tenant ${i + 1}`;
}

export function policyName(i: number): string {
  return POLICY_NAMES[i] ?? `Configuration policy ${i + 1}`;
}

export async function seedData(orm: Orm, options: SeedOptions): Promise<SeedReport> {
  return orm.em.fork().transactional(async (em) => {
    await em.execute('SELECT pg_advisory_xact_lock(?)', [SEED_LOCK]);
    const now = new Date();
    let workspace = await em.findOne(Workspace, { slug: options.workspaceSlug });
    const workspaceCreated = !workspace;
    if (!workspace) {
      workspace = em.create(Workspace, {
        id: uuidv4(),
        slug: options.workspaceSlug,
        name: options.workspaceSlug === 'default' ? 'Default workspace' : options.workspaceSlug,
        created_at: now,
        updated_at: now,
      });
      // no relations are mapped, so the unit of work cannot order parents first: flush them
      await em.flush();
    }
    const report: SeedReport = {
      workspace: { id: workspace.id, slug: workspace.slug, name: workspace.name, created: workspaceCreated },
      tenants: [],
      created: { workspaces: workspaceCreated ? 1 : 0, tenants: 0, policies: 0 },
    };
    for (let i = 0; i < options.tenants; i += 1) {
      const slug = `tenant-${i + 1}`;
      let tenant = await em.findOne(Tenant, { workspace_id: workspace.id, slug });
      const created = !tenant;
      if (!tenant) {
        tenant = em.create(Tenant, {
          id: uuidv4(),
          workspace_id: workspace.id,
          external_id: uuidv4(),
          slug,
          name: tenantName(i),
          created_at: now,
          updated_at: now,
        });
        report.created.tenants += 1;
        await em.flush();
      }
      const existing = new Set((await em.find(Policy, { tenant_id: tenant.id }, { fields: ['name'] })).map((p) => p.name));
      let policiesCreated = 0;
      for (let j = 0; j < options.policiesPerTenant; j += 1) {
        const name = policyName(j);
        if (existing.has(name)) continue;
        em.create(Policy, {
          id: uuidv4(),
          workspace_id: workspace.id,
          tenant_id: tenant.id,
          external_id: uuidv4(),
          name,
          policy_type: 'deviceConfiguration',
          created_at: now,
          updated_at: now,
        });
        policiesCreated += 1;
      }
      report.created.policies += policiesCreated;
      report.tenants.push({
        id: tenant.id,
        slug,
        external_id: tenant.external_id,
        name: tenant.name,
        created,
        policies_created: policiesCreated,
      });
    }
    await em.flush();
    return report;
  });
}

/** Drops every table of the current schema (seed --fresh). Roles stay: they are cluster-wide. */
export async function dropAllTables(orm: Orm): Promise<string[]> {
  const em = orm.em.fork();
  const rows = await em.execute<Array<{ tablename: string }>>(
    'SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename',
  );
  const tables = rows.map((r) => r.tablename);
  if (tables.length > 0) {
    await em.execute(`DROP TABLE ${tables.map((t) => `"${t.replaceAll('"', '""')}"`).join(', ')} CASCADE`);
  }
  return tables;
}

export async function isEmpty(orm: Orm): Promise<boolean> {
  const [row] = await orm.em.fork().execute<Array<{ present: boolean }>>("SELECT to_regclass('workspaces') IS NOT NULL AS present");
  if (!row?.present) return true;
  return (await orm.em.fork().count(Workspace, {})) === 0;
}
