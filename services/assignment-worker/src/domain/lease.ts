import type { RunLeaseV1 } from '@ops/contracts';

export interface Claim {
  readonly runId: string;
  readonly streamSeq: number;
}

/**
 * What to do when the identity's lease already exists (pure):
 * - `already_completed`: this run finished (its ack was lost) → ack, count a duplicate;
 * - `cooldown`: another run of the identity completed within the TTL → skip this run;
 * - `duplicate`: this run is executing from another message → ack, count a duplicate;
 * - `takeover`: this run's lease is stale (its worker died) → CAS it over;
 * - `wait`: someone else is alive on it, or a different run holds it → nak and look later.
 */
export type LeaseDecision =
  | { readonly kind: 'already_completed' }
  | { readonly kind: 'cooldown' }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'takeover' }
  | { readonly kind: 'wait'; readonly retryInMs: number };

export function decideOnExistingLease(existing: RunLeaseV1 | null, claim: Claim, now: Date, staleMs: number): LeaseDecision {
  // unreadable value: wait for the TTL or an operator rather than guess
  if (!existing) return { kind: 'wait', retryInMs: staleMs };
  if (existing.state === 'completed') return existing.run_id === claim.runId ? { kind: 'already_completed' } : { kind: 'cooldown' };
  const age = now.getTime() - Date.parse(existing.heartbeat_at);
  if (existing.run_id !== claim.runId) return { kind: 'wait', retryInMs: Math.max(staleMs - age, 1_000) };
  if (age > staleMs) return { kind: 'takeover' };
  if (existing.stream_seq !== claim.streamSeq) return { kind: 'duplicate' };
  return { kind: 'wait', retryInMs: Math.max(staleMs - age, 1_000) };
}
