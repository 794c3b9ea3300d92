import type { LedgerHarness } from './ledger-harness.ts';

export interface BacklogOptions {
  /** the seeded workspace and its first tenant unless given */
  readonly workspaceId?: string;
  readonly tenantId?: string;
  /** queued runs, created first (the longest quiet) */
  readonly queued: number;
  /** running runs, created after every queued one */
  readonly running: number;
  /** policy ids in each run's recorded inputs (500 is the most a selection holds) */
  readonly policiesPerRun: number;
  /** how long ago the first run was created; each next one a second later */
  readonly quietForSeconds: number;
}

/**
 * A large tenant's backlog written straight into the ledger's table (as the
 * owner: no event, no job, no lease): `assignments.fetch` runs, each its own
 * identity, whose contexts carry `policiesPerRun` policy ids — run views of
 * ~40 bytes per policy. Queued runs are the oldest, so an order by creation
 * lists every queued run before any running one. Returns the ids, running
 * ones separately.
 */
export async function insertBacklog(
  h: Pick<LedgerHarness, 'sql' | 'seed'>,
  o: BacklogOptions,
): Promise<{ queued: string[]; running: string[] }> {
  const rows = await h.sql<{ id: string; status: string }>(
    `WITH policies AS (SELECT jsonb_agg(gen_random_uuid()::text) AS ids FROM generate_series(1, $3::int))
     INSERT INTO operation_runs (id, workspace_id, tenant_id, initiator_name, type, status, outcome, run_identity_hash,
                                 context, attempt, started_at, last_event_at, created_at, updated_at)
     SELECT gen_random_uuid(), $1::uuid, $2::uuid, 'backlog', 'assignments.fetch',
            CASE WHEN i > $4::int THEN 'running' ELSE 'queued' END, 'pending',
            encode(sha256(convert_to('backlog:' || gen_random_uuid()::text, 'UTF8')), 'hex'),
            jsonb_build_object('inputs', jsonb_build_object('policy_ids', policies.ids), 'label', 'Fetch assignments'),
            CASE WHEN i > $4::int THEN 1 ELSE 0 END,
            CASE WHEN i > $4::int THEN at END, CASE WHEN i > $4::int THEN at END, at, at
       FROM policies, generate_series(1, $4::int + $5::int) AS i,
            LATERAL (SELECT now() - make_interval(secs => $6::int) + make_interval(secs => i) AS at) AS t
     RETURNING id, status`,
    [o.workspaceId ?? h.seed.workspace.id, o.tenantId ?? h.seed.tenants[0]!.id, o.policiesPerRun, o.queued, o.running, o.quietForSeconds],
  );
  return {
    queued: rows.filter((r) => r.status === 'queued').map((r) => r.id),
    running: rows.filter((r) => r.status === 'running').map((r) => r.id),
  };
}
