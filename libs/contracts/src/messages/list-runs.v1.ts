import { z } from 'zod';
import { runTypeSchema } from '../catalog.ts';
import { FAILURE_CODE_LIST, type FailureCode } from '../failure-codes.ts';
import { isoDateTime, RUN_OUTCOMES, RUN_STATUSES, storableText, uuidSchema } from './common.ts';
import { runV1 } from './run.v1.ts';

/**
 * ops.ledger.api.list_runs (v1): newest first, workspace-scoped, keyset
 * pagination (`cursor` is opaque; pass back `next_cursor`). A page holds at
 * most `limit` runs and at most 90 % of the bus's max_payload.
 */
export const listRunsRequestV1 = z
  .object({
    workspace_id: uuidSchema,
    tenant_id: uuidSchema.optional(),
    type: runTypeSchema.optional(),
    status: z.enum(RUN_STATUSES).optional(),
    outcome: z.enum(RUN_OUTCOMES).optional(),
    /** runs whose failure_summary has an entry with this code (the registry's list, so a code added there is accepted here) */
    failure_code: z.enum(FAILURE_CODE_LIST as [FailureCode, ...FailureCode[]]).optional(),
    /** exact match on initiator_name (ensure_run's initiator.name rule: a NUL would reach PostgreSQL as an internal error) */
    initiator: storableText(z.string().min(1).max(200)).optional(),
    /** only runs created at or after this instant */
    created_after: isoDateTime.optional(),
    /** only runs created before this instant */
    created_before: isoDateTime.optional(),
    limit: z.number().int().min(1).max(500).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();
export type ListRunsRequestInputV1 = z.input<typeof listRunsRequestV1>;

export const listRunsReplyV1 = z.object({
  ok: z.literal(true),
  runs: z.array(runV1),
  next_cursor: z.string().nullable(),
});
export type ListRunsReplyV1 = z.infer<typeof listRunsReplyV1>;
