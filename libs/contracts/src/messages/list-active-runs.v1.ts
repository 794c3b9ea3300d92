import { z } from 'zod';
import { isoDateTime, uuidSchema } from './common.ts';
import { runV1 } from './run.v1.ts';

/**
 * ops.ledger.api.list_active_runs (v1): a workspace's queued and running
 * runs whose last sign of life (last event, else creation) is older than
 * `quiet_since` — what housekeeping examines: running runs first, then
 * queued ones, each the longest quiet first, in pages (`cursor` is opaque;
 * pass back `next_cursor`). A page holds at most `limit` runs and at most 90 %
 * of the bus's max_payload. Each run carries `last_event_at` (not part of the
 * public run object).
 */
export const listActiveRunsRequestV1 = z
  .object({
    workspace_id: uuidSchema,
    quiet_since: isoDateTime,
    limit: z.number().int().min(1).max(1000).default(500),
    cursor: z.string().max(300).optional(),
  })
  .strict();
export type ListActiveRunsRequestInputV1 = z.input<typeof listActiveRunsRequestV1>;

const activeRunV1 = runV1.extend({ last_event_at: isoDateTime.nullable() });
export type ActiveRunV1 = z.infer<typeof activeRunV1>;

export const listActiveRunsReplyV1 = z.object({
  ok: z.literal(true),
  runs: z.array(activeRunV1),
  next_cursor: z.string().nullable().default(null),
});
export type ListActiveRunsReplyV1 = z.infer<typeof listActiveRunsReplyV1>;
