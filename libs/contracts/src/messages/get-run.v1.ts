import { z } from 'zod';
import { uuidSchema } from './common.ts';
import { runV1 } from './run.v1.ts';

/** ops.ledger.api.get_run (v1): one run, scoped to a workspace (another workspace's run is not found). */
export const getRunRequestV1 = z.object({ workspace_id: uuidSchema, run_id: uuidSchema }).strict();
export type GetRunRequestV1 = z.infer<typeof getRunRequestV1>;

export const getRunReplyV1 = z.object({ ok: z.literal(true), run: runV1 });
export type GetRunReplyV1 = z.infer<typeof getRunReplyV1>;
