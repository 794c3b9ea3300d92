import { z } from 'zod';
import { uuidSchema } from './common.ts';
import { runV1 } from './run.v1.ts';

/**
 * ops.ledger.api.record_duplicate (v1): a worker received a job it must not
 * execute (the run already completed, another delivery of it is running, or
 * an operator cancelled it) — it acks the message and counts the duplicate on
 * the canonical run, so execution-time dedupe is as visible as dispatch-time
 * dedupe.
 */
const DUPLICATE_REASONS = ['already_completed', 'already_running', 'cooldown', 'cancelled'] as const;
export type DuplicateReason = (typeof DUPLICATE_REASONS)[number];

export const recordDuplicateRequestV1 = z
  .object({ workspace_id: uuidSchema, run_id: uuidSchema, reason: z.enum(DUPLICATE_REASONS) })
  .strict();
export type RecordDuplicateRequestV1 = z.infer<typeof recordDuplicateRequestV1>;

export const recordDuplicateReplyV1 = z.object({ ok: z.literal(true), run: runV1 });
export type RecordDuplicateReplyV1 = z.infer<typeof recordDuplicateReplyV1>;
