import { z } from 'zod';
import { runTypeSchema } from '../catalog.ts';
import { isoDateTime, uuidSchema } from './common.ts';

/**
 * ops.jobs.<type> (v1): published once per created run, with Nats-Msg-Id =
 * run id so JetStream drops a re-publish inside the 15-minute duplicate
 * window. Carries only the whitelisted fingerprint inputs — never secrets.
 */
export const jobV1 = z
  .object({
    v: z.literal(1),
    run_id: uuidSchema,
    workspace_id: uuidSchema,
    tenant_id: uuidSchema.nullable(),
    type: runTypeSchema,
    run_identity_hash: z.string().regex(/^[0-9a-f]{64}$/),
    inputs: z.record(z.string(), z.unknown()),
    dispatched_at: isoDateTime,
  })
  .strict();
export type JobV1 = z.infer<typeof jobV1>;
