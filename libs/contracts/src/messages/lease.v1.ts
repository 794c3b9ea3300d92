import { z } from 'zod';
import type { runTypeSchema } from '../catalog.ts';
import { failureSummarySchema, isoDateTime, summaryCountsSchema, TERMINAL_OUTCOMES, uuidSchema } from './common.ts';

/**
 * The values of the ops_locks KV bucket (v1), under `leaseKey(type, hash)`.
 * Two kinds share the bucket, told apart by `kind`:
 *
 * - `run`: the execution lease of a job identity (assignment-worker), and the
 *   run's attempt allocator: every execution and every housekeeping closure
 *   of the run takes its attempt number by a compare-and-set write of this
 *   entry (`attempt` + 1), so attempts strictly increase across job messages
 *   and redeliveries. One writer at a time; the holder rewrites it every
 *   heartbeat (a new revision: that is what observers watch — `heartbeat_at`
 *   is the writer's wall clock, shown to operators, never compared with
 *   another host's); `retrying`: the attempt ended transiently and its job
 *   comes back after `retry_after_ms`; `completed`: the run ended — every write
 *   restarting the bucket TTL, the value lives on as the identity's cooldown
 *   marker; `cancelled`: an operator cancelled the run (issue #21) — written
 *   by the ledger by compare-and-set, so its holder's next renewal fails and
 *   it stops; a delivery of the run that finds it acknowledges without
 *   executing, and another run of the identity replaces it.
 * - `workspace`: housekeeping's per-workspace lease (overlap prevention,
 *   T033). `tick` is the scheduled instant an execution belongs to: every
 *   replica's scheduler fires for the same tick, and only the first to write
 *   the lease for it executes. `run_id` is null until the run is ensured.
 *
 * Every reader and writer goes through `decodeLease` / `encodeLease` (and
 * `readLease` of @ops/nats): a value none of these schemas accepts is
 * `invalid` — never coerced into a state it may not have.
 */
const leaseState = z.enum(['running', 'completed']);
const runLeaseState = z.enum(['running', 'retrying', 'completed', 'cancelled']);
const instant = z.iso.datetime();

export const runLeaseV1 = z.strictObject({
  kind: z.literal('run'),
  run_id: uuidSchema,
  owner: z.string().min(1),
  attempt: z.number().int().min(1),
  state: runLeaseState,
  heartbeat_at: instant,
  /** the job message's stream sequence: tells a redelivery from a duplicate message (0: written by a housekeeping closure) */
  stream_seq: z.number().int().min(0),
  completed_at: instant.optional(),
  /** state retrying: the back-off after which the nak-ed job comes back */
  retry_after_ms: z.number().int().min(0).max(3_600_000).optional(),
  /**
   * state completed, written by the worker BEFORE its completed event (issue
   * #18): the marker is the last fence, and this is what the event says — a
   * redelivery, or housekeeping, that finds the marker while the run is not
   * completed publishes the event again from it (same Nats-Msg-Id).
   */
  result: z
    .strictObject({
      outcome: z.enum(TERMINAL_OUTCOMES),
      counts: summaryCountsSchema,
      failures: failureSummarySchema,
      /** the completed event's seq in its attempt */
      seq: z.number().int().min(0),
      at: isoDateTime,
      started_at: isoDateTime,
    })
    .optional(),
});
export type RunLeaseV1 = z.infer<typeof runLeaseV1>;
export type LeaseResult = NonNullable<RunLeaseV1['result']>;

export const workspaceLeaseV1 = z.strictObject({
  kind: z.literal('workspace'),
  run_id: uuidSchema.nullable(),
  owner: z.string().min(1),
  state: leaseState,
  /** a scheduled instant (ISO) or `on-demand:<instant>` */
  tick: z.string().min(1).max(64),
  heartbeat_at: instant,
  /** the attempt of `run_id` this execution took: the next execution of the run takes a higher one */
  attempt: z.number().int().min(1).optional(),
});
export type WorkspaceLeaseV1 = z.infer<typeof workspaceLeaseV1>;

export const leaseV1 = z.discriminatedUnion('kind', [runLeaseV1, workspaceLeaseV1]);
export type LeaseV1 = z.infer<typeof leaseV1>;

/** The key of an identity's lease: `<type>.<identity-hash>` (a valid KV key: type names use dots and underscores only). */
export function leaseKey(type: z.infer<typeof runTypeSchema>, identityHash: string): string {
  return `${type}.${identityHash}`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** A stored lease value, or `invalid` when it is not one (bad UTF-8, bad JSON, unknown shape). */
export function decodeLease(bytes: Uint8Array): LeaseV1 | 'invalid' {
  try {
    const parsed = leaseV1.safeParse(JSON.parse(utf8.decode(bytes)));
    return parsed.success ? parsed.data : 'invalid';
  } catch {
    return 'invalid';
  }
}

/** The bytes of a lease value; a value the schema refuses is a bug of the writer, thrown here rather than stored. */
export function encodeLease(value: LeaseV1): Uint8Array {
  return encoder.encode(JSON.stringify(leaseV1.parse(value)));
}
