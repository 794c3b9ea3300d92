import { setTimeout as sleep } from 'node:timers/promises';
import type { JsMsg } from '@nats-io/jetstream';
import type { JobV1, RunLeaseV1, RunV1 } from '@ops/contracts';
import type { Logger } from '@ops/logging';
import { decideOnExistingLease, type Liveness, nextAttempt } from '../domain/lease.ts';
import { LeaseHolder } from '../domain/lease-holder.ts';
import { LeaseLostError } from '../domain/leases.ts';
import { settle, type WorkerDeps } from './deps.ts';

export type Acquired =
  | { readonly kind: 'held'; readonly holder: LeaseHolder; readonly takenFrom: string | null }
  /** this run's completion marker: with its `result`, the completed event it records may never have been stored */
  | { readonly kind: 'already_completed'; readonly marker: RunLeaseV1 }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'cooldown' }
  | { readonly kind: 'wait'; readonly retryInMs: number }
  | { readonly kind: 'released' };

/** monotonic milliseconds: every timing judgement of the protocol is made on this clock */
const monotonic = () => performance.now();

/**
 * Takes the run's lease — the execution-time dedupe (FR-006) and the attempt
 * allocator — or says why not. An absent lease is created with the next
 * attempt; a `retrying` one, or a running one of this run whose holder this
 * worker has watched stay silent for the stale time, is taken over by CAS
 * with attempt + 1 (docs/architecture.md, "Fencing"). Every read goes through
 * the one lease path (`deps.leases`).
 */
export async function acquireLease(
  deps: WorkerDeps,
  input: {
    key: string;
    job: JobV1;
    run: RunV1;
    msg: JsMsg;
    release: AbortSignal;
    log: Logger;
    /** does the identity's cooldown still apply to this run, given the run whose completion marker holds the key? (the ledger's clock) */
    inCooldown: (markerRunId: string) => Promise<boolean>;
  },
): Promise<Acquired> {
  const { key, job, run, msg, release, log } = input;
  const claim = { runId: job.run_id, streamSeq: msg.info.streamSequence };
  const timing = { fenceMs: deps.settings.fenceMs, renewTimeoutMs: deps.settings.renewTimeoutMs };
  const running = (attempt: number): RunLeaseV1 => ({
    kind: 'run',
    run_id: job.run_id,
    owner: deps.owner,
    attempt,
    state: 'running',
    heartbeat_at: deps.now().toISOString(),
    stream_seq: msg.info.streamSequence,
  });
  let liveness: Liveness = 'unobserved';
  // a run never executed before (the first delivery of its first job): create without reading first —
  // one KV exchange on the common path; a key that exists makes the create fail and the loop looks
  if (run.attempt === 0) {
    const value = running(nextAttempt(null, run.attempt));
    const sent = monotonic();
    const revision = await deps.leases.tryCreate(key, value);
    if (revision !== null)
      return { kind: 'held', holder: new LeaseHolder(deps.leases, key, value, revision, timing, sent), takenFrom: null };
  }
  for (let round = 0; round < 4; round += 1) {
    const entry = await deps.leases.read(key);
    if (!entry) {
      // the run was executed before and its lease is gone (expired): its completion may be stored in
      // OPS_LEDGER and not applied yet — never execute it again before the ledger caught up
      if (run.attempt >= 1 && !(await deps.ledgerCaughtUp())) {
        log.info('lease expired and the ledger lags behind OPS_LEDGER: job retried later');
        return { kind: 'wait', retryInMs: deps.settings.staleMs };
      }
      const value = running(nextAttempt(null, run.attempt));
      const sent = monotonic();
      const revision = await deps.leases.tryCreate(key, value);
      if (revision !== null)
        return { kind: 'held', holder: new LeaseHolder(deps.leases, key, value, revision, timing, sent), takenFrom: null };
      continue; // created by someone else in between: look again
    }
    const observedAt = monotonic();
    let decision = decideOnExistingLease(entry.value, claim, liveness, deps.settings.staleMs);
    if (decision.kind === 'observe') {
      const seen = await watchRevision(deps, key, entry.revision, observedAt, msg, release);
      if (seen === 'released') return { kind: 'released' };
      if (seen === 'changed') {
        // its holder wrote again: alive (or it completed / gave the run back) — decide on the new value
        liveness = 'alive';
        continue;
      }
      decision = decideOnExistingLease(entry.value, claim, 'stale', deps.settings.staleMs);
    }
    if (decision.kind === 'observe') continue; // not after a judged observation; defensive
    if (decision.kind === 'cooldown' && entry.value && !(await input.inCooldown(entry.value.run_id))) {
      // the marker outlives the ledger's window (the bucket TTL started at the marker's write): the
      // ledger created this run after the cooldown — it runs, the old marker gives way
      decision = { kind: 'take' };
    }
    if (decision.kind === 'already_completed') return { kind: 'already_completed', marker: entry.value as RunLeaseV1 };
    if (decision.kind !== 'take') return decision;
    // an attempt of this run's own: another run's marker counts nothing for it
    const value = running(nextAttempt(entry.value?.run_id === job.run_id ? entry.value : null, run.attempt));
    const sent = monotonic();
    try {
      const revision = await deps.leases.update(key, value, entry.revision);
      const takenFrom = entry.value?.state === 'running' ? entry.value.owner : null;
      if (takenFrom) log.warn({ previousOwner: takenFrom, attempt: value.attempt }, 'took over a stale lease of this run');
      return { kind: 'held', holder: new LeaseHolder(deps.leases, key, value, revision, timing, sent), takenFrom };
    } catch (err) {
      if (!(err instanceof LeaseLostError)) throw err;
      liveness = 'unobserved'; // someone else wrote it first: look again
    }
  }
  return { kind: 'wait', retryInMs: deps.settings.staleMs };
}

/**
 * Read, wait, re-read: watches the lease's revision for up to the stale time,
 * measured on this process's monotonic clock from `observedAt` (when the
 * revision was first seen). Keeps the message (`working()`) meanwhile.
 */
async function watchRevision(
  deps: WorkerDeps,
  key: string,
  revision: number,
  observedAt: number,
  msg: JsMsg,
  release: AbortSignal,
): Promise<'changed' | 'stale' | 'released'> {
  for (;;) {
    const left = observedAt + deps.settings.staleMs - monotonic();
    if (left <= 0) return 'stale';
    try {
      await sleep(Math.min(deps.settings.heartbeatMs, left), undefined, { signal: release });
    } catch {
      return 'released';
    }
    settle(deps, () => msg.working());
    const now = await deps.leases.read(key);
    if (now?.revision !== revision) return 'changed';
  }
}
