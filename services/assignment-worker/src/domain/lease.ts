import { z } from 'zod';

/**
 * The execution lease of a job identity, a value in KV ops_locks under
 * `<type>.<identity-hash>`. One writer at a time, enforced by compare-and-set
 * on the entry's revision. While running, the owner renews `heartbeat_at`;
 * at completion the value becomes `completed` and — because every write
 * restarts the bucket TTL — the entry lives on as the cooldown marker.
 */
export const leaseValueSchema = z.object({
  run_id: z.uuid(),
  owner: z.string(),
  attempt: z.number().int().min(1),
  state: z.enum(['running', 'completed']),
  heartbeat_at: z.iso.datetime(),
  /** the job message's stream sequence: tells a redelivery from a duplicate message */
  stream_seq: z.number().int().min(0),
  completed_at: z.iso.datetime().optional(),
});
export type LeaseValue = z.infer<typeof leaseValueSchema>;

export function leaseKey(type: string, identityHash: string): string {
  return `${type}.${identityHash}`;
}

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

export function decideOnExistingLease(existing: LeaseValue | null, claim: Claim, now: Date, staleMs: number): LeaseDecision {
  // unreadable value: wait for the TTL or an operator rather than guess
  if (!existing) return { kind: 'wait', retryInMs: staleMs };
  if (existing.state === 'completed') return existing.run_id === claim.runId ? { kind: 'already_completed' } : { kind: 'cooldown' };
  const age = now.getTime() - Date.parse(existing.heartbeat_at);
  if (existing.run_id !== claim.runId) return { kind: 'wait', retryInMs: Math.max(staleMs - age, 1_000) };
  if (age > staleMs) return { kind: 'takeover' };
  if (existing.stream_seq !== claim.streamSeq) return { kind: 'duplicate' };
  return { kind: 'wait', retryInMs: Math.max(staleMs - age, 1_000) };
}
