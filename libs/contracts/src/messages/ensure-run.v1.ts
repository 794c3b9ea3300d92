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
 * created: a new run was queued — the ledger published its job.
 * active: a queued/running run of the identity exists — this is it.
 * cooldown: the identity completed less than the catalog's cooldown ago.
 */
export const ENSURE_DISPOSITIONS = ['created', 'active', 'cooldown'] as const;
export type Disposition = (typeof ENSURE_DISPOSITIONS)[number];

export const ensureRunReplyV1 = z.object({
  ok: z.literal(true),
  disposition: z.enum(ENSURE_DISPOSITIONS),
  run: runV1,
  /**
   * the ledger stored the run's job in OPS_JOBS while answering (issue #18):
   * for a created run; or for an active, still queued run whose job was never
   * stored (the ledger's publish had failed — a retried dispatch publishes it).
   * false for a created run means its job could not be stored: the run waits,
   * queued, for a retried dispatch or housekeeping.
   */
  published: z.boolean(),
});
export type EnsureRunReplyV1 = z.infer<typeof ensureRunReplyV1>;
