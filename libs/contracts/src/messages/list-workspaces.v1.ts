import { z } from 'zod';
import { uuidSchema } from './common.ts';

/** ops.ledger.api.list_workspaces (v1): every workspace, for housekeeping's per-workspace schedule. */
export const listWorkspacesRequestV1 = z.object({}).strict();
export const listWorkspacesReplyV1 = z.object({
  ok: z.literal(true),
  workspaces: z.array(z.object({ id: uuidSchema, slug: z.string() })),
});
export type ListWorkspacesReplyV1 = z.infer<typeof listWorkspacesReplyV1>;
