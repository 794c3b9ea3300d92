import { Policy, Tenant, Workspace } from '@ops/db';
import { z } from 'zod';
import { defineCommand } from '../cli.ts';
import type { Context } from '../context.ts';
import { plural, table } from '../format.ts';

/** The documented `--json` shape (docs/cli.md): only these fields, in this nesting. */
export interface TenantsListJson {
  workspaces: Array<{
    id: string;
    name: string;
    tenants: Array<{ id: string; external_id: string; name: string; policies: Array<{ id: string; external_id: string; name: string }> }>;
  }>;
}

export const tenantsList = defineCommand({
  path: ['tenants', 'list'],
  summary: 'workspaces, their tenants and policies (from PostgreSQL, DATABASE_URL)',
  usage: 'opsctl tenants list [--json]',
  help: 'The ids printed here are what `dispatch --workspace/--tenant/--policy` takes.',
  schema: z.object({}),
  async run(ctx) {
    const json = await loadTenants(ctx);
    return { json, text: render(json) };
  },
});

/** Workspaces → tenants → policies, ordered by name (shared with `opsctl demo`, which picks the first). */
export async function loadTenants(ctx: Context): Promise<TenantsListJson> {
  // three ordered reads grouped in memory: no relations are mapped on the entities
  const { workspaces, tenants, policies } = await ctx.db(async (em) => ({
    workspaces: await em.find(Workspace, {}, { orderBy: { name: 'asc', slug: 'asc' } }),
    tenants: await em.find(Tenant, {}, { orderBy: { name: 'asc', slug: 'asc' } }),
    policies: await em.find(Policy, {}, { orderBy: { name: 'asc', id: 'asc' } }),
  }));
  const policiesOf = groupBy(policies, (p) => p.tenant_id);
  const tenantsOf = groupBy(tenants, (t) => t.workspace_id);
  return {
    workspaces: workspaces.map((w) => ({
      id: w.id,
      name: w.name,
      tenants: (tenantsOf.get(w.id) ?? []).map((t) => ({
        id: t.id,
        external_id: t.external_id,
        name: t.name,
        policies: (policiesOf.get(t.id) ?? []).map((p) => ({ id: p.id, external_id: p.external_id, name: p.name })),
      })),
    })),
  };
}

function render(data: TenantsListJson): string {
  if (data.workspaces.length === 0) return 'no workspaces — run `pnpm seed` to create the default one';
  const blocks = data.workspaces.map((w) => {
    // tenants with their policies indented beneath: the ids an operator needs for dispatch
    const rows = w.tenants.flatMap((t) => [[t.name, t.id, t.external_id], ...t.policies.map((p) => [`  ${p.name}`, p.id, p.external_id])]);
    const body = rows.length > 0 ? table(['TENANT / POLICY', 'ID', 'EXTERNAL_ID'], rows, '  ') : '  (no tenants)';
    return `workspace ${w.name}  ${w.id}\n${body}`;
  });
  const tenants = data.workspaces.reduce((n, w) => n + w.tenants.length, 0);
  const policies = data.workspaces.reduce((n, w) => n + w.tenants.reduce((m, t) => m + t.policies.length, 0), 0);
  const total = `${plural(data.workspaces.length, 'workspace')}, ${plural(tenants, 'tenant')}, ${plural(policies, 'policy', 'policies')}`;
  return `${blocks.join('\n\n')}\n\n${total}`;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
