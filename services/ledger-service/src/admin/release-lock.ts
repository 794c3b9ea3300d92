import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeRequest, OpsError, type ReleaseLockReplyV1, releaseLockRequestV1 } from '@ops/contracts';
import { deleteLease, type LeaseRead, readLease } from '@ops/nats';
import type { AdminDeps } from './deps.ts';

/** CAS rounds of a forced release against a holder that keeps renewing */
const DELETE_ROUNDS = 8;

/**
 * release_lock (issue #21): deletes one lease of the locks bucket, by
 * compare-and-set on the revision it judged.
 *
 * A `running` lease is judged by the fencing rule (docs/architecture.md,
 * "Fencing"): its revision watched on THIS process's monotonic clock for the
 * stale time — unchanged: stale (its holder died, froze or was cut off, and
 * its own fence expired before); changed: alive, refused unless `force`. A
 * forced release fences the holder: the key is gone, its next renewal (a CAS
 * at its revision) fails and it stops through the abort path. `retrying`,
 * `cancelled` and unreadable values have no live holder; a `cancelled`
 * marker still stops a cancelled run's stray deliveries, so it goes only with
 * `force`; a `completed` value is the identity's cooldown marker and goes
 * only with `cooldown`.
 */
export async function releaseLock(deps: AdminDeps, data: Uint8Array): Promise<ReleaseLockReplyV1> {
  const req = decodeRequest(releaseLockRequestV1, data, deps.maxRequestBytes);
  let read = await readLease(deps.locks, req.key);
  if (read.status === 'absent') throw new OpsError('not_found', `no lease under ${req.key}`);
  const state = read.status === 'present' ? read.value.state : 'invalid';
  if (state === 'completed' && !req.cooldown) {
    throw new OpsError('conflict', `${req.key} is a cooldown marker (completed): add --cooldown to release it and allow a new run now`);
  }
  if (state === 'cancelled' && !req.force) {
    throw new OpsError('conflict', `${req.key} marks a cancelled run (it stops the run's stray deliveries): add --force to release it`);
  }
  let holder: ReleaseLockReplyV1['holder'] = 'not_held';
  if (state === 'running') {
    const watched = await watch(deps, req.key, read.revision);
    if (watched.status === 'absent') throw new OpsError('not_found', `no lease under ${req.key} (released meanwhile)`);
    holder = watched.revision === read.revision ? 'stale' : 'alive';
    if (holder === 'alive' && !req.force) {
      throw new OpsError(
        'conflict',
        `the holder of ${req.key} is alive (it renewed the lease within ${deps.leaseStaleMs} ms) — add --force to release it and fence the holder`,
      );
    }
    read = watched;
  }
  for (let round = 0; round < DELETE_ROUNDS && read.status !== 'absent'; round += 1) {
    if (await deleteLease(deps.locks, req.key, read.revision)) {
      const runId = read.status === 'present' ? read.value.run_id : null;
      const action = await deps.actions.record({
        id: randomUUID(),
        workspaceId: runId ? await deps.actions.runWorkspace(runId) : null,
        runId,
        action: 'lock_release',
        actor: req.actor,
        reason: req.reason,
        at: deps.clock.now(),
        detail: { key: req.key, state, holder, forced: req.force, cooldown: req.cooldown, revision: read.revision },
      });
      deps.logger.info({ key: req.key, state, holder, forced: req.force, actor: req.actor }, 'lease released by an operator');
      return { ok: true, key: req.key, run_id: runId, state, holder, forced: req.force, action };
    }
    // written in between: a forced release takes the newest revision; otherwise it is judged again by the caller
    if (!req.force) throw new OpsError('conflict', `${req.key} was written while it was being released — look again and retry`);
    read = await readLease(deps.locks, req.key);
  }
  throw new OpsError('conflict', `${req.key} kept changing (or disappeared) during the release — look again and retry`);
}

/** Read, wait, re-read for the stale time: the last read (a changed revision ends the watch early). */
async function watch(deps: AdminDeps, key: string, revision: number): Promise<LeaseRead> {
  const until = performance.now() + deps.leaseStaleMs;
  for (;;) {
    await sleep(Math.max(0, Math.min(deps.leasePollMs, until - performance.now())));
    const now = await readLease(deps.locks, key);
    if (now.status === 'absent' || now.revision !== revision || performance.now() >= until) return now;
  }
}
