import { z } from 'zod';
import { isoDateTime, storableText, uuidSchema } from './common.ts';
import { ENSURE_DISPOSITIONS } from './ensure-run.v1.ts';
import { runV1 } from './run.v1.ts';

/**
 * ops.ledger.admin.* (v1): the operator actions (issue #21). Every request
 * names its actor and reason: NATS does not tell a responder who asked, so
 * they are the caller's assertion — only the operator NATS user may publish
 * on this group (docs/security.md, "Operator actions") — and every action
 * the ledger takes is stored with them (`run_actions`) and answered as
 * `action`.
 */
const audit = {
  /** who acts: a person or a system, as the operator's tooling names them */
  actor: storableText(z.string().trim().min(1).max(200)),
  /** why: shown with the action by `opsctl runs show` */
  reason: storableText(z.string().trim().min(1).max(1000)),
};

export const ADMIN_ACTIONS = ['cancel', 'rerun', 'dlq_redrive', 'dlq_purge', 'lock_release'] as const;

/** One stored action (a `run_actions` row). */
export const actionV1 = z.object({
  id: uuidSchema,
  action: z.enum(ADMIN_ACTIONS),
  actor: z.string(),
  reason: z.string(),
  at: isoDateTime,
  workspace_id: uuidSchema.nullable(),
  run_id: uuidSchema.nullable(),
  detail: z.record(z.string(), z.unknown()),
});
export type ActionV1 = z.infer<typeof actionV1>;

/** cancel_run: a queued or running run ends `cancelled` (code run.cancelled); a completed one is a conflict. */
export const cancelRunRequestV1 = z.object({ workspace_id: uuidSchema, run_id: uuidSchema, ...audit }).strict();
export type CancelRunRequestV1 = z.infer<typeof cancelRunRequestV1>;
export const cancelRunReplyV1 = z.object({
  ok: z.literal(true),
  run: runV1,
  /** what the run was when the cancel took it: queued (its job removed or fenced) or running (its holder fenced) */
  previous_status: z.enum(['queued', 'running']),
  /** the queued run's job message was deleted from OPS_JOBS (false: unknown or already delivered; the marker stops it) */
  job_removed: z.boolean(),
  action: actionV1,
});
export type CancelRunReplyV1 = z.infer<typeof cancelRunReplyV1>;

/** rerun_run: a new run of the same job (type, scope, inputs) through ensure_run, linked to the original. */
export const rerunRunRequestV1 = z
  .object({
    workspace_id: uuidSchema,
    run_id: uuidSchema,
    /** bypass the cooldown (never the overlap rule: an active run of the identity still wins) */
    force: z.boolean().default(false),
    ...audit,
  })
  .strict();
export type RerunRunRequestInputV1 = z.input<typeof rerunRunRequestV1>;
export const rerunRunReplyV1 = z.object({
  ok: z.literal(true),
  disposition: z.enum(ENSURE_DISPOSITIONS),
  /** created: the new run; active / cooldown: the run that stood in the way */
  run: runV1,
  published: z.boolean(),
  rerun_of: uuidSchema,
  forced: z.boolean(),
  /** stored when a run was created; null when nothing happened (active, cooldown) */
  action: actionV1.nullable(),
});
export type RerunRunReplyV1 = z.infer<typeof rerunRunReplyV1>;

/** Dead-letter reasons a redrive cannot fix by itself: the same bytes fail the same way (needs force). */
export const UNREDRIVABLE_REASONS = ['schema_invalid', 'oversized', 'invalid_json'] as const;

const dlqSeq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** redrive_dead_letter: re-publish one dead letter to its origin subject, then remove it from OPS_DLQ. */
export const redriveDeadLetterRequestV1 = z.object({ seq: dlqSeq, force: z.boolean().default(false), ...audit }).strict();
export type RedriveDeadLetterRequestInputV1 = z.input<typeof redriveDeadLetterRequestV1>;
export const redriveDeadLetterReplyV1 = z.object({
  ok: z.literal(true),
  seq: z.number().int(),
  reason: z.string(),
  subject: z.string(),
  /** the stream and sequence the re-published message was stored at */
  stream: z.string(),
  redriven_seq: z.number().int(),
  action: actionV1,
});
export type RedriveDeadLetterReplyV1 = z.infer<typeof redriveDeadLetterReplyV1>;

/** purge_dead_letter: remove one dead letter from OPS_DLQ for good (its record stays in run_actions). */
export const purgeDeadLetterRequestV1 = z.object({ seq: dlqSeq, ...audit }).strict();
export type PurgeDeadLetterRequestV1 = z.infer<typeof purgeDeadLetterRequestV1>;
export const purgeDeadLetterReplyV1 = z.object({ ok: z.literal(true), seq: z.number().int(), reason: z.string(), action: actionV1 });
export type PurgeDeadLetterReplyV1 = z.infer<typeof purgeDeadLetterReplyV1>;

/** A key of the locks bucket: `<type>.<identity-hash>` (what `opsctl locks list` prints). */
const lockKey = z.string().regex(/^[a-z_]+\.[a-z_]+\.[0-9a-f]{64}$/, 'must be a key of `opsctl locks list` (<type>.<identity-hash>)');

/** release_lock: delete one lease of the locks bucket — refused while its holder is alive unless forced. */
export const releaseLockRequestV1 = z
  .object({
    key: lockKey,
    /** release even though its holder renews it: the holder's next renewal fails and it stops (fenced) */
    force: z.boolean().default(false),
    /** a `completed` value is the identity's cooldown marker: released only when this says so */
    cooldown: z.boolean().default(false),
    ...audit,
  })
  .strict();
export type ReleaseLockRequestInputV1 = z.input<typeof releaseLockRequestV1>;
export const releaseLockReplyV1 = z.object({
  ok: z.literal(true),
  key: z.string(),
  run_id: uuidSchema.nullable(),
  /** the released value's state (`invalid`: a value no lease schema accepts) */
  state: z.string(),
  /** how its holder was judged: stale (same revision for the stale time), not_held (retrying/completed/cancelled/invalid), alive (forced) */
  holder: z.enum(['stale', 'not_held', 'alive']),
  forced: z.boolean(),
  action: actionV1,
});
export type ReleaseLockReplyV1 = z.infer<typeof releaseLockReplyV1>;
