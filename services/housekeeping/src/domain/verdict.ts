import { type ActiveRunV1, catalogEntry, isRunType, type LeaseResult, type LeaseV1, type RunLeaseV1 } from '@ops/contracts';

/** The run's lease as read from ops_locks: absent (null), unreadable, or a value (a run lease; a workspace lease for housekeeping's own runs). */
export type RunLeaseState = LeaseV1 | 'invalid' | null;

export interface Thresholds {
  readonly staleGraceMs: number;
  readonly queuedAfterMs: number;
}

export type Verdict =
  | { kind: 'ok' }
  | { kind: 'stale'; why: string }
  | { kind: 'republish' }
  | { kind: 'lost'; why: string }
  | { kind: 'finish'; marker: RunLeaseV1 & { result: LeaseResult } };

/**
 * What housekeeping does about one quiet active run (pure). The "adapter"
 * of a run is the worker executing it; it may have vanished.
 *
 * - running, its lease `retrying` (between two attempts) and seen so for
 *   longer than the retry's back-off plus the grace → `stale`, not before;
 * - running, quiet for the grace period, and its lease gone, held for another
 *   run, or seen by this replica at the same revision for longer than the
 *   expected duration + grace (`unchangedForMs`, its own monotonic clock —
 *   never the `heartbeat_at` another host wrote) → `stale`: end it
 *   failed with run.stale (a run whose lease is unreadable is left alone);
 * - its lease `completed` for this run: the completion marker — with the
 *   `result` it records → `finish`: publish that completed event (the
 *   worker writes the marker first and may have died before the event was
 *   stored; the same Nats-Msg-Id, so a stored one is dropped); an older
 *   marker without it → left alone (its event was published first);
 * - queued with a lease of its own: executing, or was — judged like running
 *   (a short attempt publishes no started event, so `queued` does not mean
 *   "not executing");
 * - queued for longer than the threshold → `republish` its job (the same
 *   Nats-Msg-Id: JetStream drops it if the job is still there), or `lost`
 *   when the job cannot be rebuilt from the run;
 * - anything else → `ok`.
 */
export function judgeRun(run: ActiveRunV1, lease: RunLeaseState, unchangedForMs: number, now: Date, t: Thresholds): Verdict {
  const lastSign = Date.parse(run.last_event_at ?? run.created_at);
  const quietMs = now.getTime() - lastSign;
  if (!isRunType(run.type)) return { kind: 'ok' };
  const entry = catalogEntry(run.type);
  // a short attempt publishes no started event: a `queued` run whose lease is its own is executing (or was)
  const ownLease = lease !== null && lease !== 'invalid' && lease.kind === 'run' && lease.run_id === run.id;
  if (run.status === 'running' || ownLease) {
    if (quietMs < t.staleGraceMs) return { kind: 'ok' };
    if (!lease) return { kind: 'stale', why: 'its execution lease is gone' };
    // unreadable: a live worker of another version may have written it — never guessed
    // stale; the bucket TTL removes a value nobody renews, and the next tick decides
    if (lease === 'invalid') return { kind: 'ok' };
    if (lease.run_id !== run.id) return { kind: 'stale', why: 'its execution lease belongs to another run' };
    if (lease.state === 'completed') {
      // its executor wrote the completion marker and was not seen publishing the event it records: publish it from the marker
      if (lease.kind === 'run' && lease.result) return { kind: 'finish', marker: { ...lease, result: lease.result } };
      return { kind: 'ok' };
    }
    // between two attempts: its next attempt comes after retry_after_ms — not before that plus the grace
    if (lease.kind === 'run' && lease.state === 'retrying') {
      return unchangedForMs > (lease.retry_after_ms ?? 0) + t.staleGraceMs
        ? { kind: 'stale', why: 'its retry never started' }
        : { kind: 'ok' };
    }
    // judged on this replica's own clock: the lease's revision unchanged for the expected duration plus the grace
    if (unchangedForMs > entry.expectedDurationSeconds * 1000 + t.staleGraceMs) {
      return { kind: 'stale', why: 'its worker stopped renewing the lease' };
    }
    return { kind: 'ok' };
  }
  // queued: housekeeping's own runs are adopted by its next execution, they have no job
  if (entry.scope === 'workspace' || quietMs < t.queuedAfterMs) return { kind: 'ok' };
  const parsed = entry.inputs.safeParse(run.context['inputs']);
  if (!parsed.success) return { kind: 'lost', why: 'its inputs cannot be rebuilt from the run' };
  return { kind: 'republish' };
}
