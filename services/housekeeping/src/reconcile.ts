import type { JetStreamClient } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import {
  type ActiveRunV1,
  computeIdentity,
  FAILURE_CODES,
  leaseKey,
  type Names,
  type SummaryCounts,
  sanitizeMessage,
  type WorkspaceLeaseV1,
} from '@ops/contracts';
import { attemptEvents, type LedgerClient, publishClosure, publishJob } from '@ops/ledger-client';
import type { Logger } from '@ops/logging';
import { createLease, deleteLease, readLease, updateLease } from '@ops/nats';
import { chooseLease } from './domain/lease.ts';
import { judgeRun, type RunLeaseState, type Thresholds } from './domain/verdict.ts';
import type { HousekeepingMetrics } from './metrics.ts';

export const RECONCILE_TYPE = 'ops.reconcile_adapter_runs';

export interface ReconcileDeps {
  readonly js: JetStreamClient;
  readonly kv: KV;
  readonly names: Names;
  readonly ledger: LedgerClient;
  readonly logger: Logger;
  readonly metrics: HousekeepingMetrics;
  readonly owner: string;
  readonly thresholds: Thresholds;
  /** a running housekeeping lease older than this belongs to a dead replica */
  readonly leaseStaleMs: number;
  readonly now: () => Date;
}

export type ReconcileResult =
  | { readonly disposition: 'created'; readonly runId: string; readonly outcome: 'succeeded' | 'failed'; readonly counts: SummaryCounts }
  | { readonly disposition: 'active'; readonly runId: string | null };

/**
 * One execution of ops.reconcile_adapter_runs for one workspace (FR-007):
 * take the workspace's lease (at most one execution at a time, whatever the
 * number of replicas), ensure a workspace-scoped run through the ledger,
 * report started/completed on OPS_LEDGER like every other run, heal what
 * needs healing — never touching the database itself.
 */
export async function reconcileWorkspace(deps: ReconcileDeps, workspaceId: string, tick: string): Promise<ReconcileResult> {
  const identity = computeIdentity({ type: RECONCILE_TYPE, workspaceId, tenantId: null, inputs: {} });
  const key = leaseKey(RECONCILE_TYPE, identity.hash);
  const log = deps.logger.child({ workspaceId, type: RECONCILE_TYPE, tick });
  const lease: WorkspaceLeaseV1 = {
    kind: 'workspace',
    run_id: null,
    owner: deps.owner,
    state: 'running',
    tick,
    heartbeat_at: deps.now().toISOString(),
  };

  let revision = await takeLease(deps, key, lease, tick);
  if (typeof revision !== 'number') {
    deps.metrics.executions.inc({ result: 'stood_down' });
    log.info({ heldBy: revision.runId }, 'reconcile skipped: another execution holds the workspace lease');
    return { disposition: 'active', runId: revision.runId };
  }

  // ensure the run; an active one left by a dead execution is adopted (its next attempt)
  let ensured: Awaited<ReturnType<LedgerClient['ensureRun']>>;
  try {
    ensured = await deps.ledger.ensureRun({
      workspace_id: workspaceId,
      tenant_id: null,
      type: RECONCILE_TYPE,
      inputs: {},
      initiator: { name: 'housekeeping' },
    });
  } catch (err) {
    // no run to report on: give the lease back so the next tick can try
    await deleteLease(deps.kv, key, revision).catch(() => false);
    throw err;
  }
  const run = ensured.run;
  const attempt = run.attempt + 1;
  const events = attemptEvents(deps.js, deps.names, { runId: run.id, workspaceId, attempt, owner: deps.owner }, deps.now);
  revision = await writeLease(deps.kv, key, { ...lease, run_id: run.id }, revision);
  await events.started();

  const counts: SummaryCounts = { total: 0, processed: 0, failed: 0 };
  let outcome: 'succeeded' | 'failed' = 'succeeded';
  try {
    const quietSince = new Date(deps.now().getTime() - Math.min(deps.thresholds.staleGraceMs, deps.thresholds.queuedAfterMs)).toISOString();
    const runs = await deps.ledger.listActiveRuns({ workspace_id: workspaceId, quiet_since: quietSince });
    for (const candidate of runs.filter((r) => r.id !== run.id)) {
      counts.total += 1;
      const healed = await heal(deps, candidate, log);
      if (healed === 'healed') counts.processed += 1;
      if (healed === 'failed') counts.failed += 1;
    }
    await events.completed('succeeded', counts, []);
  } catch (err) {
    // FR-008: a stable code and an operator-readable message, sanitized and bounded
    outcome = 'failed';
    log.error({ err }, 'reconcile failed');
    const message = sanitizeMessage(`${FAILURE_CODES['ops.reconcile_adapter_runs.failed']}: ${(err as Error)?.message ?? String(err)}`);
    await events.completed('failed', counts, [{ code: 'ops.reconcile_adapter_runs.failed', message, count: 1 }]);
  }
  await writeLease(deps.kv, key, { ...lease, run_id: run.id, state: 'completed', heartbeat_at: deps.now().toISOString() }, revision).catch(
    (err: unknown) => log.warn({ err }, 'could not mark the workspace lease completed'),
  );
  deps.metrics.executions.inc({ result: outcome });
  log.info({ runId: run.id, attempt, outcome, counts }, 'reconcile executed');
  return { disposition: 'created', runId: run.id, outcome, counts };
}

async function heal(deps: ReconcileDeps, run: ActiveRunV1, log: Logger): Promise<'healed' | 'ok' | 'failed'> {
  const lease = await readRunLease(deps.kv, leaseKey(run.type, run.run_identity_hash));
  const verdict = judgeRun(run, lease, deps.now(), deps.thresholds);
  try {
    switch (verdict.kind) {
      case 'ok':
        return 'ok';
      case 'stale':
        await publishClosure(
          deps.js,
          deps.names,
          run,
          { code: 'run.stale', message: `${FAILURE_CODES['run.stale']} (${verdict.why})` },
          deps.owner,
          deps.now(),
        );
        break;
      case 'lost':
        await publishClosure(
          deps.js,
          deps.names,
          run,
          { code: 'run.lost', message: `${FAILURE_CODES['run.lost']} (${verdict.why})` },
          deps.owner,
          deps.now(),
        );
        break;
      case 'republish': {
        const ack = await publishJob(deps.js, deps.names, run);
        // still in the stream (inside the duplicate window): nothing was lost
        if (ack.duplicate) return 'ok';
        break;
      }
    }
    deps.metrics.healed.inc({ action: verdict.kind });
    log.warn({ runId: run.id, runType: run.type, action: verdict.kind }, 'run healed');
    return 'healed';
  } catch (err) {
    log.error({ err, runId: run.id, action: verdict.kind }, 'could not heal a run');
    return 'failed';
  }
}

async function readRunLease(kv: KV, key: string): Promise<RunLeaseState> {
  const read = await readLease(kv, key);
  if (read.status === 'absent') return null;
  return read.status === 'invalid' ? 'invalid' : read.value;
}

/** revision when taken; otherwise who holds it */
async function takeLease(
  deps: ReconcileDeps,
  key: string,
  value: WorkspaceLeaseV1,
  tick: string,
): Promise<number | { runId: string | null }> {
  for (let round = 0; round < 3; round += 1) {
    const read = await readLease(deps.kv, key);
    const existing =
      read.status === 'absent'
        ? null
        : { value: read.status === 'present' && read.value.kind === 'workspace' ? read.value : null, revision: read.revision };
    const choice = chooseLease(existing, tick, deps.now(), deps.leaseStaleMs);
    if (choice.kind === 'stand_down') return { runId: choice.runId };
    const revision =
      choice.kind === 'create' ? await createLease(deps.kv, key, value) : await updateLease(deps.kv, key, value, choice.revision);
    // null: another replica wrote first — look again
    if (revision !== null) return revision;
  }
  return { runId: null };
}

/** Our next write of the workspace lease, at the revision we hold. */
async function writeLease(kv: KV, key: string, value: WorkspaceLeaseV1, revision: number): Promise<number> {
  const next = await updateLease(kv, key, value, revision);
  if (next === null) throw new Error(`workspace lease ${key} was written by another execution`);
  return next;
}
