import type { RunLeaseV1 } from '@ops/contracts';

export interface Claim {
  readonly runId: string;
  readonly streamSeq: number;
}

/**
 * What this worker knows about a running lease's holder, judged on ONE clock
 * — its own monotonic clock watching the lease's revision (read, wait,
 * re-read): `unobserved` (not watched yet), `alive` (the revision changed:
 * its holder renews), `stale` (the same revision for longer than the stale
 * time). Never by comparing the holder's `heartbeat_at` with this host's
 * wall clock: two hosts' clocks may differ by more than the stale time.
 */
export type Liveness = 'unobserved' | 'alive' | 'stale';

/**
 * What to do when the identity's lease already exists (pure):
 * - `already_completed`: this run finished (its ack was lost) → ack, count a duplicate;
 * - `cooldown`: another run of the identity completed within the TTL → skip this run;
 * - `take`: this run's next attempt may start — the previous one is `retrying`,
 *   or its holder is stale (died, frozen, cut off) → CAS the lease to attempt + 1;
 * - `observe`: this run is running elsewhere and nobody has judged its holder yet
 *   → watch the revision for up to the stale time, then decide again;
 * - `duplicate`: this run is alive on another message → ack, count a duplicate;
 * - `cancelled`: an operator cancelled this run (issue #21) → ack, count a duplicate;
 * - `wait`: another run holds it, the value is unreadable, or this very message
 *   is being worked on → nak and look again later.
 */
export type LeaseDecision =
  | { readonly kind: 'already_completed' }
  | { readonly kind: 'cooldown' }
  | { readonly kind: 'take' }
  | { readonly kind: 'observe' }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'wait'; readonly retryInMs: number };

export function decideOnExistingLease(existing: RunLeaseV1 | null, claim: Claim, liveness: Liveness, staleMs: number): LeaseDecision {
  // unreadable value: wait for the TTL or an operator rather than guess
  if (!existing) return { kind: 'wait', retryInMs: staleMs };
  // a cancelled run never executes again; another run of the identity replaces its marker (no cooldown after a cancel)
  if (existing.state === 'cancelled') return existing.run_id === claim.runId ? { kind: 'cancelled' } : { kind: 'take' };
  if (existing.state === 'completed') return existing.run_id === claim.runId ? { kind: 'already_completed' } : { kind: 'cooldown' };
  // never take over another run: it is healed by housekeeping, its lease expires with the TTL
  if (existing.run_id !== claim.runId) return { kind: 'wait', retryInMs: staleMs };
  if (existing.state === 'retrying' || liveness === 'stale') return { kind: 'take' };
  if (liveness === 'unobserved') return { kind: 'observe' };
  // alive: another message of the run is a duplicate; this one is in its holder's hands
  return existing.stream_seq !== claim.streamSeq ? { kind: 'duplicate' } : { kind: 'wait', retryInMs: staleMs };
}

/**
 * The attempt a new execution of the run takes: one more than any attempt the
 * lease or the ledger has seen (the lease may have expired; the ledger may lag
 * behind the lease). The CAS write of the lease makes it this execution's alone.
 */
export function nextAttempt(lease: RunLeaseV1 | null, ledgerAttempt: number): number {
  return Math.max(lease?.attempt ?? 0, ledgerAttempt) + 1;
}
