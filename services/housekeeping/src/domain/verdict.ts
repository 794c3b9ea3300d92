import { type ActiveRunV1, catalogEntry, isRunType, type LeaseV1 } from '@ops/contracts';

/** The run's lease as read from ops_locks: absent (null), unreadable, or a value (a run lease; a workspace lease for housekeeping's own runs). */
export type RunLeaseState = LeaseV1 | 'invalid' | null;

export interface Thresholds {
  readonly staleGraceMs: number;
  readonly queuedAfterMs: number;
}

export type Verdict = { kind: 'ok' } | { kind: 'stale'; why: string } | { kind: 'republish' } | { kind: 'lost'; why: string };

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
 *   failed with run.stale (a run whose completion is already on its way —
 *   lease `completed` for this run — is left alone, and so is one whose lease
 *   is unreadable);
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
  if (run.status === 'running') {
    if (quietMs < t.staleGraceMs) return { kind: 'ok' };
    if (!lease) return { kind: 'stale', why: 'its execution lease is gone' };
    // unreadable: a live worker of another version may have written it — never guessed
    // stale; the bucket TTL removes a value nobody renews, and the next tick decides
    if (lease === 'invalid') return { kind: 'ok' };
    if (lease.run_id !== run.id) return { kind: 'stale', why: 'its execution lease belongs to another run' };
    if (lease.state === 'completed') return { kind: 'ok' };
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
