import { z } from 'zod';
import { runTypeSchema } from '../catalog.ts';
import { failureSummarySchema, isoDateTime, RUN_OUTCOMES, RUN_STATUSES, uuidSchema } from './common.ts';

/**
 * The run object (v1) as every API reply and `opsctl --json` shows it: the
 * ledger's column names, timestamps ISO-8601 UTC. summary_counts is `{}`
 * until the first progress/completed event and always has all three
 * counters once the run is completed.
 */
export const runV1 = z.object({
  id: uuidSchema,
  workspace_id: uuidSchema,
  tenant_id: uuidSchema.nullable(),
  type: runTypeSchema,
  status: z.enum(RUN_STATUSES),
  outcome: z.enum(RUN_OUTCOMES),
  run_identity_hash: z.string().regex(/^[0-9a-f]{64}$/),
  summary_counts: z.record(z.string(), z.number().int().min(0)),
  failure_summary: failureSummarySchema,
  context: z.record(z.string(), z.unknown()),
  attempt: z.number().int().min(0),
  dedupe_hits: z.number().int().min(0),
  initiator_name: z.string(),
  started_at: isoDateTime.nullable(),
  completed_at: isoDateTime.nullable(),
  created_at: isoDateTime,
  updated_at: isoDateTime,
});
export type RunV1 = z.infer<typeof runV1>;
