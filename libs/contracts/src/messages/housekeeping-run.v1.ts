import { z } from 'zod';
import { uuidSchema } from './common.ts';

/**
 * ops.housekeeping.run (v1): run ops.reconcile_adapter_runs for a workspace
 * now (`opsctl housekeeping run`). The reply comes when the execution ended:
 * `created` — this request executed it (run_id is its run); `active` —
 * another execution held the workspace's lease (run_id is that run's, when
 * known).
 */
export const housekeepingRunRequestV1 = z.object({ workspace_id: uuidSchema }).strict();

export const housekeepingRunReplyV1 = z.object({
  ok: z.literal(true),
  run_id: uuidSchema.nullable(),
  disposition: z.enum(['created', 'active']),
});
export type HousekeepingRunReplyV1 = z.infer<typeof housekeepingRunReplyV1>;
