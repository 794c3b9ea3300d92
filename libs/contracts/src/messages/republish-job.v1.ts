import { z } from 'zod';
import { uuidSchema } from './common.ts';

/**
 * ops.ledger.api.republish_job (v1): housekeeping asks the ledger — the only
 * publisher of jobs (issue #18) — to publish a queued run's job again, under
 * the next generation. `published`: stored now; `duplicate`: JetStream still
 * holds the job inside its duplicate window (nothing was lost); `not_queued`:
 * the run is no longer queued (nothing to do).
 */
export const republishJobRequestV1 = z.object({ workspace_id: uuidSchema, run_id: uuidSchema }).strict();
export type RepublishJobRequestV1 = z.infer<typeof republishJobRequestV1>;

export const republishJobReplyV1 = z.object({
  ok: z.literal(true),
  result: z.enum(['published', 'duplicate', 'not_queued']),
  generation: z.number().int().min(0),
});
export type RepublishJobReplyV1 = z.infer<typeof republishJobReplyV1>;
