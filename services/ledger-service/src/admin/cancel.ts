import { randomUUID } from 'node:crypto';
import {
  type CancelRunReplyV1,
  cancelRunRequestV1,
  decodeRequest,
  isRunType,
  type LeaseV1,
  leaseKey,
  OpsError,
  type RunType,
  sanitizeMessage,
} from '@ops/contracts';
import { createLease, readLease, updateLease } from '@ops/nats';
import type { RunRow } from '../repositories/run-view.ts';
import { toRunView } from '../repositories/run-view.ts';
import type { AdminDeps } from './deps.ts';

/** CAS rounds against a lease that keeps changing under the cancel (its holder renewing) */
const FENCE_ROUNDS = 8;

/**
 * cancel_run (issue #21). A queued run: a `cancelled` marker is created on
 * its identity's lease key and its job message deleted (the sequence the
 * ledger recorded when it stored it), so a delivery that still finds either
 * acknowledges without executing. A running run: its lease is set to
 * `cancelled` by compare-and-set — the holder's next renewal fails, and it
 * stops through the fencing abort path (no further Graph call, row, event or
 * ack). Then the run is closed `cancelled` (code run.cancelled) with its last
 * applied counters and the action recorded, in one statement. The cancel
 * takes the next attempt on the lease (the attempt allocator), so every event
 * of the fenced attempt is stale; a completion the ledger applied first wins
 * (the run is completed: conflict), one applied after changes nothing.
 */
export async function cancelRun(deps: AdminDeps, data: Uint8Array): Promise<CancelRunReplyV1> {
  const req = decodeRequest(cancelRunRequestV1, data, deps.maxRequestBytes);
  const row = await deps.repo.getRun(req.workspace_id, req.run_id);
  if (!row) throw new OpsError('not_found', 'run not found in this workspace');
  if (row.status === 'completed') throw new OpsError('conflict', `run is already completed (outcome ${row.outcome}): nothing to cancel`);
  if (!isRunType(row.type) || row.tenant_id === null) {
    throw new OpsError('conflict', `${row.type} runs are housekeeping's: they end within their expected duration and are not cancelled`);
  }
  const previous = row.status as 'queued' | 'running';
  const fence = await fenceLease(deps, row);
  let jobRemoved = false;
  if (previous === 'queued') {
    await deps.jobSeqs.flush();
    const seq = await deps.actions.jobStreamSeq(req.workspace_id, req.run_id);
    if (seq !== null) {
      // gone already (delivered and acked, or removed by a previous cancel): the marker stops any copy
      jobRemoved = await deps.jsm.streams.deleteMessage(deps.names.streams.jobs, seq, false).catch(() => false);
    }
  }
  const now = deps.clock.now();
  const closed = await deps.actions.cancelRun({
    action: {
      id: randomUUID(),
      workspaceId: req.workspace_id,
      runId: req.run_id,
      action: 'cancel',
      actor: req.actor,
      reason: req.reason,
      at: now,
      detail: { previous_status: previous, job_removed: jobRemoved, lease: fence.lease, attempt: fence.attempt },
    },
    attempt: fence.attempt,
    message: sanitizeMessage(`cancelled by ${req.actor}: ${req.reason}`, { maxLength: 500 }),
  });
  if (!closed) {
    const now = await deps.repo.getRun(req.workspace_id, req.run_id);
    throw new OpsError('conflict', `the run completed before the cancel was applied (outcome ${now?.outcome ?? 'unknown'})`);
  }
  deps.logger.info({ runId: req.run_id, actor: req.actor, previous, jobRemoved, lease: fence.lease }, 'run cancelled by an operator');
  return { ok: true, run: toRunView(closed.row), previous_status: previous, job_removed: jobRemoved, action: closed.action };
}

/**
 * Puts the `cancelled` marker on the run's lease key. `lease` says what it
 * found: `created` (no lease: queued, or its lease expired), `fenced` (this
 * run's running/retrying lease, CAS-replaced: its holder is lost),
 * `already` (a previous cancel fenced it), `completed` (its executor wrote
 * the completion marker: the ledger decides by what it applies first),
 * `other_run` (another run of the identity is executing: it keeps the key).
 */
async function fenceLease(
  deps: AdminDeps,
  row: RunRow,
): Promise<{ lease: 'created' | 'fenced' | 'already' | 'completed' | 'other_run'; attempt: number }> {
  const key = leaseKey(row.type as RunType, row.run_identity_hash);
  for (let round = 0; round < FENCE_ROUNDS; round += 1) {
    const read = await readLease(deps.locks, key);
    const marker = (attempt: number): LeaseV1 => ({
      kind: 'run',
      run_id: row.id,
      owner: 'ledger:cancel',
      attempt,
      state: 'cancelled',
      heartbeat_at: deps.clock.now().toISOString(),
      stream_seq: 0,
    });
    if (read.status === 'absent') {
      const attempt = row.attempt + 1;
      if ((await createLease(deps.locks, key, marker(attempt))) !== null) return { lease: 'created', attempt };
      continue;
    }
    let attempt = row.attempt + 1;
    if (read.status === 'present') {
      const v = read.value;
      // another run executing the identity (never this one's to fence): nothing of this run can hold the key
      if (v.kind !== 'run' || (v.run_id !== row.id && v.state === 'running')) return { lease: 'other_run', attempt };
      if (v.run_id === row.id) {
        if (v.state === 'cancelled') return { lease: 'already', attempt: v.attempt };
        if (v.state === 'completed') return { lease: 'completed', attempt: v.attempt };
        attempt = Math.max(v.attempt, row.attempt) + 1;
      }
    }
    // this run's lease (running or retrying), another run's marker (a stray copy of this run's job
    // must find this run's cancel, not take that marker over), or an unreadable value: replaced at its revision
    if ((await updateLease(deps.locks, key, marker(attempt), read.revision)) !== null) return { lease: 'fenced', attempt };
  }
  throw new OpsError('unavailable', "the run's lease kept changing under the cancel; retry it");
}
