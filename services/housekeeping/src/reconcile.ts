import { setTimeout as sleep } from 'node:timers/promises';
import {
  computeIdentity,
  FAILURE_CODES,
  type FailureEntry,
  leaseKey,
  type SummaryCounts,
  sanitizeMessage,
  type TerminalOutcome,
  type WorkspaceLeaseV1,
} from '@ops/contracts';
import { attemptEvents, type LedgerClient } from '@ops/ledger-client';
import { deleteLease, ledgerCaughtUp } from '@ops/nats';
import type { ReconcileDeps } from './deps.ts';
import { healRun } from './heal.ts';
import { takeWorkspaceLease } from './workspace-lease.ts';

/** how an execution ends (an operator does not cancel housekeeping's runs) */
export type ExecutionOutcome = Exclude<TerminalOutcome, 'cancelled'>;

export const RECONCILE_TYPE = 'ops.reconcile_adapter_runs';

/** how long an execution waits for the ledger to catch up with OPS_LEDGER before it heals nothing this time */
const LEDGER_CATCH_UP_MS = 5_000;

export type ReconcileResult =
  | { readonly disposition: 'created'; readonly runId: string; readonly outcome: ExecutionOutcome; readonly counts: SummaryCounts }
  | { readonly disposition: 'active'; readonly runId: string | null };

/**
 * One execution of ops.reconcile_adapter_runs for one workspace (FR-007):
 * take the workspace's lease (at most one execution at a time, whatever the
 * number of replicas — renewed while it runs), ensure a workspace-scoped run
 * through the ledger, report started/completed on OPS_LEDGER like every
 * other run, heal what needs healing — never touching the database itself.
 * Should the lease be lost meanwhile, the execution stops and publishes
 * nothing more: the replica that took the lease adopts the run.
 */
export async function reconcileWorkspace(
  deps: ReconcileDeps,
  workspaceId: string,
  tick: string,
  /** told the run as soon as the ledger ensured it */
  onRun?: (runId: string) => void,
): Promise<ReconcileResult> {
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

  const taken = await takeWorkspaceLease({
    kv: deps.kv,
    key,
    value: lease,
    tick,
    staleMs: deps.leaseStaleMs,
    observations: deps.observations,
    log,
  });
  if (!('holder' in taken)) {
    deps.metrics.executions.inc({ result: 'stood_down' });
    log.info({ heldBy: taken.runId }, 'reconcile skipped: another execution holds the workspace lease');
    return { disposition: 'active', runId: taken.runId };
  }
  const { holder, previous } = taken;
  try {
    // ensure the run; an active one left by a dead execution is adopted (its next attempt)
    let ensured: Awaited<ReturnType<LedgerClient['ensureRun']>>;
    try {
      ensured = await ensureNewRun(deps, workspaceId, previous);
    } catch (err) {
      // no run to report on: give the lease back so the next tick can try
      holder.stop();
      await deleteLease(deps.kv, key, holder.revision).catch(() => false);
      throw err;
    }
    const run = ensured.run;
    onRun?.(run.id);
    // the workspace lease allocates the run's attempts: above the last execution's, above the ledger's
    const attempt = Math.max(previous?.run_id === run.id ? (previous.attempt ?? 0) : 0, run.attempt) + 1;
    await holder.write({ run_id: run.id, attempt });
    const events = attemptEvents(deps.js, deps.names, { runId: run.id, workspaceId, attempt, owner: deps.owner }, deps.now, () =>
      holder.assertHeld(),
    );
    const startedAt = deps.now();
    await events.started();

    const counts: SummaryCounts = { total: 0, processed: 0, failed: 0 };
    let outcome: ExecutionOutcome = 'succeeded';
    try {
      // what the ledger says is judged only once it applied everything stored in OPS_LEDGER
      // up to now: a completion it has not applied yet must not look like a run nobody finished
      const progress = await ledgerCaughtUp(deps.jsm, deps.names, { timeoutMs: LEDGER_CATCH_UP_MS });
      if (!progress.caughtUp) {
        deps.metrics.healsDeferred.inc();
        log.warn({ lastSeq: progress.lastSeq, ackFloor: progress.ackFloor }, 'the ledger lags behind OPS_LEDGER: nothing healed this time');
      }
      const quietSince = new Date(
        deps.now().getTime() - Math.min(deps.thresholds.staleGraceMs, deps.thresholds.queuedAfterMs),
      ).toISOString();
      // every quiet active run, page after page (stuck running runs come first, so a queued backlog never starves them)
      let cursor: string | null = progress.caughtUp ? '' : null;
      while (cursor !== null) {
        holder.assertHeld();
        const page = await deps.ledger.listActiveRuns({
          workspace_id: workspaceId,
          quiet_since: quietSince,
          ...(cursor ? { cursor } : {}),
        });
        for (const candidate of page.runs.filter((r) => r.id !== run.id)) {
          holder.assertHeld();
          counts.total += 1;
          const healed = await healRun(deps, candidate, log);
          if (healed === 'healed') counts.processed += 1;
          if (healed === 'failed') counts.failed += 1;
        }
        cursor = page.next_cursor;
      }
      const ended = executionOutcome(counts);
      outcome = ended.outcome;
      await events.completed(events.completion(ended.outcome, counts, ended.failures, startedAt));
    } catch (err) {
      holder.assertHeld();
      // FR-008: a stable code and an operator-readable message, sanitized and bounded
      outcome = 'failed';
      log.error({ err }, 'reconcile failed');
      const message = sanitizeMessage(`${FAILURE_CODES['ops.reconcile_adapter_runs.failed']}: ${(err as Error)?.message ?? String(err)}`);
      await events.completed(
        events.completion('failed', counts, [{ code: 'ops.reconcile_adapter_runs.failed', message, count: 1 }], startedAt),
      );
    }
    await holder
      .write({ state: 'completed', heartbeat_at: deps.now().toISOString() })
      .catch((err: unknown) => log.warn({ err }, 'could not mark the workspace lease completed'));
    deps.metrics.executions.inc({ result: outcome });
    log.info({ runId: run.id, attempt, outcome, counts }, 'reconcile executed');
    return { disposition: 'created', runId: run.id, outcome, counts };
  } finally {
    holder.stop();
  }
}

const ENSURE_RUN = { tenant_id: null, type: RECONCILE_TYPE, inputs: {}, initiator: { name: 'housekeeping' } } as const;

/**
 * ensure_run for this execution. An active run is adopted (a dead execution
 * left it) — unless the workspace lease says that run's execution completed:
 * its completion is stored in OPS_LEDGER but not applied yet, and adopting it
 * would run it again. Then ask again, briefly, until the ledger caught up.
 */
async function ensureNewRun(
  deps: ReconcileDeps,
  workspaceId: string,
  previous: WorkspaceLeaseV1 | null,
): Promise<Awaited<ReturnType<LedgerClient['ensureRun']>>> {
  for (let round = 0; ; round += 1) {
    const ensured = await deps.ledger.ensureRun({ ...ENSURE_RUN, workspace_id: workspaceId });
    const completedBefore = previous?.state === 'completed' && previous.run_id === ensured.run.id;
    if (ensured.disposition !== 'active' || !completedBefore || round >= 20) return ensured;
    await sleep(250);
  }
}

/**
 * An execution whose heals all worked (or had nothing to heal) succeeded;
 * one with heals that failed names them under the stable code — a
 * `succeeded` run with failed heals is refused by the ledger (it was: the
 * event was dead-lettered and the execution's run never completed, issue #19
 * two-down run at 19:19 on 2026-12-07). The failed runs stay active and are
 * tried again at the next execution; each error is in housekeeping's log.
 */
export function executionOutcome(counts: SummaryCounts): { outcome: ExecutionOutcome; failures: FailureEntry[] } {
  if (counts.failed === 0) return { outcome: 'succeeded', failures: [] };
  const message = `${FAILURE_CODES['ops.reconcile_adapter_runs.failed']}: ${counts.failed} of ${counts.total} stuck runs could not be healed (each error is in housekeeping's log); they are tried again at the next execution`;
  return {
    outcome: counts.failed === counts.total ? 'failed' : 'partially_succeeded',
    failures: [{ code: 'ops.reconcile_adapter_runs.failed', message, count: counts.failed }],
  };
}
