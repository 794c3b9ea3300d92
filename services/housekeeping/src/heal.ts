import { type ActiveRunV1, FAILURE_CODES, type FailureCode, isRunType, type LeaseV1, leaseKey, type RunLeaseV1 } from '@ops/contracts';
import { publishClosure, publishMarkedCompletion } from '@ops/ledger-client';
import type { Logger } from '@ops/logging';
import { createLease, type LeaseRead, readLease, updateLease } from '@ops/nats';
import type { ReconcileDeps } from './deps.ts';
import { judgeRun, type RunLeaseState } from './domain/verdict.ts';

/**
 * What housekeeping does about one quiet active run: judge it (its lease as
 * this replica has watched it, across ticks, on its own clock), then close it
 * (`run.stale`, `run.lost`) or publish its job again. A closure takes its
 * attempt from the run's lease like every execution does (a CAS write that
 * marks the lease completed), so it never shares an attempt with a worker.
 */
export async function healRun(deps: ReconcileDeps, run: ActiveRunV1, log: Logger): Promise<'healed' | 'ok' | 'failed'> {
  if (!isRunType(run.type)) return 'ok';
  const key = leaseKey(run.type, run.run_identity_hash);
  let action = 'judge';
  // every step, the lease read included, fails this run only: the execution goes on with the next one
  try {
    const read = await readLease(deps.kv, key);
    const lease: RunLeaseState = read.status === 'absent' ? null : read.status === 'invalid' ? 'invalid' : read.value;
    const unchangedForMs = read.status === 'absent' ? 0 : deps.observations.unchangedFor(key, read.revision);
    const verdict = judgeRun(run, lease, unchangedForMs, deps.now(), deps.thresholds);
    action = verdict.kind;
    switch (verdict.kind) {
      case 'ok':
        return 'ok';
      case 'stale':
      case 'lost': {
        const code: FailureCode = verdict.kind === 'stale' ? 'run.stale' : 'run.lost';
        const attempt = await allocateClosureAttempt(deps, key, run, read);
        if (attempt === null) {
          // its lease moved between the look and the write: alive after all, or healed by another replica
          log.info({ runId: run.id }, 'run lease changed while healing; judged again next time');
          return 'ok';
        }
        await publishClosure(
          deps.js,
          deps.names,
          run,
          { code, message: `${FAILURE_CODES[code]} (${verdict.why})` },
          deps.owner,
          deps.now(),
          attempt,
        );
        deps.observations.forget(key);
        break;
      }
      case 'finish': {
        const { duplicate } = await publishMarkedCompletion(deps.js, deps.names, run.workspace_id, verdict.marker);
        // stored already: its executor published it, the ledger has not applied it yet
        if (duplicate) return 'ok';
        deps.observations.forget(key);
        break;
      }
      case 'republish': {
        // the ledger publishes it (the only publisher of jobs), as the next generation
        const { result } = await deps.ledger.republishJob({ workspace_id: run.workspace_id, run_id: run.id });
        // still in the stream (inside the duplicate window): nothing was lost; no longer queued: nothing to do
        if (result !== 'published') return 'ok';
        break;
      }
    }
    deps.metrics.healed.inc({ action: verdict.kind });
    log.warn({ runId: run.id, runType: run.type, action: verdict.kind }, 'run healed');
    return 'healed';
  } catch (err) {
    log.error({ err, runId: run.id, action }, 'could not heal a run');
    return 'failed';
  }
}

/**
 * The closure's attempt, taken from the run's lease by CAS: absent → created
 * `completed` with the next attempt; this run's own (stale) lease → rewritten
 * `completed` with attempt + 1 at the revision judged. A lease of another run
 * (or of the workspace) is not ours to write: the closure takes the ledger's
 * next attempt — no worker executes this run while another holds the key.
 * Null when the CAS is refused.
 */
async function allocateClosureAttempt(deps: ReconcileDeps, key: string, run: ActiveRunV1, read: LeaseRead): Promise<number | null> {
  const now = deps.now().toISOString();
  const closed = (attempt: number): RunLeaseV1 => ({
    kind: 'run',
    run_id: run.id,
    owner: deps.owner,
    attempt,
    state: 'completed',
    heartbeat_at: now,
    stream_seq: 0,
    completed_at: now,
  });
  if (read.status === 'absent') {
    const attempt = run.attempt + 1;
    return (await createLease(deps.kv, key, closed(attempt))) === null ? null : attempt;
  }
  if (read.status === 'present' && isOwnRunLease(read.value, run.id)) {
    const attempt = Math.max(read.value.attempt, run.attempt) + 1;
    return (await updateLease(deps.kv, key, closed(attempt), read.revision)) === null ? null : attempt;
  }
  return run.attempt + 1;
}

function isOwnRunLease(value: LeaseV1, runId: string): value is RunLeaseV1 {
  return value.kind === 'run' && value.run_id === runId;
}
