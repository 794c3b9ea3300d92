import { randomUUID } from 'node:crypto';
import { createHttpGraphClient } from '@ops/graph';
import pg from 'pg';

/**
 * The peers' job handler: the same work as one item of our worker's
 * `assignments.fetch` (services/assignment-worker/src/work/items.ts) —
 * look the tenant and policy up in PostgreSQL, read the policy's assignments
 * from the fake Graph with the project's own Graph client (token per tenant,
 * paging), and upsert them as a snapshot row keyed by (job, policy).
 * What it does NOT do is what the ops system adds: the ledger (ensure_run,
 * run events, counters) and the KV lease.
 */
export interface PeerJob {
  readonly tenant_id: string;
  readonly policy_id: string;
}

export const SNAPSHOT_TABLE_SQL = `CREATE TABLE IF NOT EXISTS bench_snapshots (
  id uuid PRIMARY KEY, job_id text NOT NULL, tenant_id uuid NOT NULL, policy_id uuid NOT NULL,
  assignments jsonb NOT NULL, assignment_count integer NOT NULL, fetched_at timestamptz NOT NULL,
  UNIQUE (job_id, policy_id))`;

export function createPeerHandler(options: { databaseUrl: string; graphUrl: string; clientSecret: string }) {
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10 });
  const graph = createHttpGraphClient({
    authorityUrl: options.graphUrl,
    graphUrl: options.graphUrl,
    clientId: 'ops-local',
    clientSecret: options.clientSecret,
    timeoutMs: 10_000,
    maxRetries: 3,
    maxRetryAfterMs: 30_000,
  });
  return {
    async handle(jobId: string, job: PeerJob): Promise<void> {
      const found = await pool.query<{ tenant_external_id: string; policy_external_id: string }>(
        `SELECT t.external_id AS tenant_external_id, p.external_id AS policy_external_id
           FROM policies p JOIN tenants t ON t.id = p.tenant_id WHERE p.id = $1 AND t.id = $2`,
        [job.policy_id, job.tenant_id],
      );
      const row = found.rows[0];
      if (!row) throw new Error(`unknown policy ${job.policy_id}`);
      const assignments = await graph.listAssignments(row.tenant_external_id, row.policy_external_id);
      await pool.query(
        `INSERT INTO bench_snapshots (id, job_id, tenant_id, policy_id, assignments, assignment_count, fetched_at)
         VALUES ($1, $2, $3, $4, $5, $6, now())
         ON CONFLICT (job_id, policy_id) DO UPDATE SET assignments = EXCLUDED.assignments,
           assignment_count = EXCLUDED.assignment_count, fetched_at = EXCLUDED.fetched_at`,
        [
          randomUUID(),
          jobId,
          job.tenant_id,
          job.policy_id,
          JSON.stringify(assignments.map((a) => ({ id: a.id, target: { ...a.target } }))),
          assignments.length,
        ],
      );
    },
    close: () => pool.end(),
  };
}
