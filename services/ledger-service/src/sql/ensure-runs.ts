import type { Disposition } from '@ops/contracts';
import { RUN_COLUMNS, runColumnsOf } from './run-columns.ts';
import { statement } from './statement.ts';

/**
 * ensure_run for a batch of requests, in ONE statement (group commit, issue
 * #18) — the dispatch-time dedupe (FR-004..005).
 *
 * Inputs
 * - `$rows` jsonb: one object per request, each its own identity (the
 *   caller folds requests for one identity into one row, `hits` = how many):
 *   n (its position), id (the new run's id), workspace_id, tenant_id (null:
 *   workspace-scoped), user_id, initiator_name, type, identity_hash, context,
 *   cooldown_seconds, policy_ids (jsonb array), hits.
 * - `$now`: the ledger's clock.
 *
 * Output: one row per request `n`: the scope checks (workspace_ok,
 * tenant_ok, policies_ok) and, when they pass, `disposition` and the run —
 * `active` (the identity's queued/running run, dedupe_hits += hits),
 * `cooldown` (its latest completion within cooldown_seconds, not cancelled,
 * dedupe_hits += hits) or `created` (a new queued run, dedupe_hits = hits − 1,
 * job_generation 1 for a tenant-scoped run: the ledger publishes its job next;
 * a workspace-scoped run has no job). A row whose scope
 * passes but gets no disposition lost a race (see below): ask again.
 *
 * Locks: the active and cooldown UPDATEs lock the rows they change; the
 * INSERT takes the partial unique indexes' entries (one active run per
 * identity): a concurrent insert of the same identity leaves it empty
 * (ON CONFLICT DO NOTHING) — the next round sees the winner as `active`.
 *
 * The race it handles: all the CTEs read ONE snapshot. When the active run
 * completes while the active UPDATE waits for its row lock, the UPDATE
 * re-checks the new row version and skips it, but the snapshot still shows
 * the run active and no completion — the INSERT would start a second run
 * inside the cooldown. `seen_active` (the snapshot's view) keeps that row out
 * of the cooldown check and the INSERT; the next round's fresh snapshot sees
 * the completion and answers `cooldown` (test: "a run completing while
 * ensure_run waits for its row lock").
 */
/** one row per request `n`: its scope checks and, once settled, its disposition and the run's columns */
export interface EnsureRunsRow extends Record<string, unknown> {
  req_n: number;
  workspace_ok: boolean;
  tenant_ok: boolean;
  policies_ok: boolean;
  disposition: Disposition | null;
}

export const ENSURE_RUNS = statement<'rows' | 'now', EnsureRunsRow>(
  'ensure_runs_v1',
  `
  WITH req AS (
    SELECT * FROM jsonb_to_recordset($rows::jsonb) AS r(
      n integer, id uuid, workspace_id uuid, tenant_id uuid, user_id uuid, initiator_name text, type text,
      identity_hash text, context jsonb, cooldown_seconds integer, policy_ids jsonb, hits integer)
  ),
  checked AS (
    SELECT r.n,
           EXISTS (SELECT 1 FROM workspaces w WHERE w.id = r.workspace_id) AS workspace_ok,
           (r.tenant_id IS NULL OR EXISTS (SELECT 1 FROM tenants t WHERE t.id = r.tenant_id AND t.workspace_id = r.workspace_id)) AS tenant_ok,
           (SELECT count(*) FROM policies p
             WHERE p.tenant_id = r.tenant_id AND p.workspace_id = r.workspace_id
               AND p.id IN (SELECT e::uuid FROM jsonb_array_elements_text(r.policy_ids) AS e)) = jsonb_array_length(r.policy_ids) AS policies_ok
      FROM req r
  ),
  ok AS (
    SELECT r.* FROM req r JOIN checked c ON c.n = r.n WHERE c.workspace_ok AND c.tenant_ok AND c.policies_ok
  ),
  seen_active AS (
    SELECT ok.n FROM ok JOIN operation_runs o
      ON o.run_identity_hash = ok.identity_hash AND o.status IN ('queued', 'running')
     AND o.workspace_id = ok.workspace_id AND o.tenant_id IS NOT DISTINCT FROM ok.tenant_id
  ),
  active AS (
    UPDATE operation_runs o SET dedupe_hits = o.dedupe_hits + ok.hits, updated_at = $now::timestamptz
      FROM ok
     WHERE o.run_identity_hash = ok.identity_hash AND o.status IN ('queued', 'running')
       AND o.workspace_id = ok.workspace_id AND o.tenant_id IS NOT DISTINCT FROM ok.tenant_id
    RETURNING ok.n, ${runColumnsOf('o')}
  ),
  cooling AS (
    SELECT ok.n, ok.hits,
           (SELECT c.id FROM operation_runs c
             WHERE c.workspace_id = ok.workspace_id AND c.run_identity_hash = ok.identity_hash AND c.status = 'completed'
               AND c.completed_at > $now::timestamptz - make_interval(secs => ok.cooldown_seconds)
               AND c.outcome <> 'cancelled'
             ORDER BY c.completed_at DESC LIMIT 1) AS run_id
      FROM ok
     WHERE ok.cooldown_seconds > 0 AND NOT EXISTS (SELECT 1 FROM seen_active s WHERE s.n = ok.n)
  ),
  recent AS (
    UPDATE operation_runs o SET dedupe_hits = o.dedupe_hits + cooling.hits, updated_at = $now::timestamptz
      FROM cooling WHERE o.id = cooling.run_id
    RETURNING cooling.n, ${runColumnsOf('o')}
  ),
  created AS (
    INSERT INTO operation_runs (id, workspace_id, tenant_id, user_id, initiator_name, type, status, outcome,
                                run_identity_hash, context, dedupe_hits, job_generation, created_at, updated_at)
    SELECT ok.id, ok.workspace_id, ok.tenant_id, ok.user_id, ok.initiator_name, ok.type, 'queued', 'pending',
           ok.identity_hash, ok.context, ok.hits - 1, CASE WHEN ok.tenant_id IS NULL THEN 0 ELSE 1 END, $now::timestamptz, $now::timestamptz
      FROM ok
     WHERE NOT EXISTS (SELECT 1 FROM seen_active s WHERE s.n = ok.n)
       AND NOT EXISTS (SELECT 1 FROM cooling c WHERE c.n = ok.n AND c.run_id IS NOT NULL)
    ON CONFLICT DO NOTHING
    RETURNING ${RUN_COLUMNS}
  ),
  settled AS (
    SELECT 'active' AS disposition, a.* FROM active a
    UNION ALL SELECT 'cooldown', r.* FROM recent r
    UNION ALL SELECT 'created', ok.n, ${runColumnsOf('cr')} FROM created cr JOIN ok ON ok.id = cr.id
  )
  SELECT c.n AS req_n, c.workspace_ok, c.tenant_ok, c.policies_ok, s.*
    FROM checked c LEFT JOIN settled s ON s.n = c.n
   ORDER BY c.n`,
);
