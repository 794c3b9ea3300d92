import { z } from 'zod';
import { isoDateTime, storableText, uuidSchema } from './common.ts';

/**
 * Fields every ledger event (v1) carries. Events of one run are ordered by
 * (attempt, seq): `seq` is 0 for `started` and grows by one with every event
 * the same attempt publishes, so the ledger can drop duplicates, reordered
 * and older-attempt events without a lookup table (FR-003).
 */
export const runEventBase = {
  v: z.literal(1),
  run_id: uuidSchema,
  workspace_id: uuidSchema,
  /** 1-based delivery attempt of the job that produced the event */
  attempt: z.number().int().min(1).max(10_000),
  /** per-attempt event sequence: started = 0, then +1 per event */
  seq: z.number().int().min(0).max(10_000_000),
  /** when the producer observed it */
  at: isoDateTime,
  /** producer id (worker instance) for operators; never used for decisions */
  owner: storableText(z.string().min(1).max(200)).optional(),
};

/** Nats-Msg-Id of an event: unique per (run, attempt, seq), stable across re-publishes. */
export function runEventMsgId(event: { run_id: string; attempt: number; seq: number }): string {
  return `${event.run_id}.${event.attempt}.${event.seq}`;
}
