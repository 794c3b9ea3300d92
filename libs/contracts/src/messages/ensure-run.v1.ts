import { z } from 'zod';
import { runTypeSchema } from '../catalog.ts';
import { storableText, uuidSchema } from './common.ts';
import { runV1 } from './run.v1.ts';

/**
 * ops.ledger.api.ensure_run (v1): create the run for an identity, or return
 * the canonical one. `inputs` are validated against the type's fingerprint
 * schema in the catalog; unknown keys are refused so nothing secret can be
 * smuggled into the context or the hash.
 */
export const ensureRunRequestV1 = z
  .object({
    workspace_id: uuidSchema,
    /** required for tenant-scoped types, refused for workspace-scoped ones */
    tenant_id: uuidSchema.nullable().default(null),
    type: runTypeSchema,
    inputs: z.record(z.string(), z.unknown()).default({}),
    /** the caller's own run id: used as the identity (FR-004a) and as the row id */
    run_id: uuidSchema.optional(),
    initiator: z
      .object({
        /** who asked: a user's display name or a system component */
        name: storableText(z.string().min(1).max(200)),
        user_id: uuidSchema.optional(),
      })
      .strict(),
  })
  .strict();
export type EnsureRunRequestInputV1 = z.input<typeof ensureRunRequestV1>;

/**
 * created: a new run was queued — the caller publishes its job.
 * active: a queued/running run of the identity exists — this is it.
 * cooldown: the identity completed less than the catalog's cooldown ago.
 */
const DISPOSITIONS = ['created', 'active', 'cooldown'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

export const ensureRunReplyV1 = z.object({
  ok: z.literal(true),
  disposition: z.enum(DISPOSITIONS),
  run: runV1,
  /**
   * active and still queued, with the ledger caught up with OPS_LEDGER (so no
   * completion of it is stored unapplied): the caller publishes its job again,
   * with the same Nats-Msg-Id — a retried dispatch whose first publish failed,
   * or whose reply was lost, is not left for housekeeping to find.
   */
  republish: z.boolean().default(false),
});
export type EnsureRunReplyV1 = z.infer<typeof ensureRunReplyV1>;
