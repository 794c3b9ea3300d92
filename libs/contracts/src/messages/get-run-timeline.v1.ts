import { z } from 'zod';
import { uuidSchema } from './common.ts';

/**
 * ops.ledger.api.get_run_timeline (v1): what happened to one run, oldest
 * first — every ledger event per attempt the ledger applied (`started`,
 * `progress`, `completed`, `heal`), the events it refused for a reason worth
 * seeing (`detail.ignored`: a stale attempt, a heal after the completion, …),
 * every execution duplicate a worker recorded (`duplicate`) and every
 * operator action on the run (`action`: `detail` holds action, actor, reason
 * and what it did). Workspace-scoped (another workspace's run is not found);
 * keyset pages (`cursor` is opaque; pass back `next_cursor`) of at most
 * `limit` entries and at most 90 % of the bus's max_payload.
 */
export const TIMELINE_KINDS = ['started', 'progress', 'completed', 'heal', 'duplicate', 'action'] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export const getRunTimelineRequestV1 = z
  .object({
    workspace_id: uuidSchema,
    run_id: uuidSchema,
    limit: z.number().int().min(1).max(1000).default(200),
    cursor: z.string().max(200).optional(),
  })
  .strict();
export type GetRunTimelineRequestInputV1 = z.input<typeof getRunTimelineRequestV1>;

export const timelineEntryV1 = z.object({
  /** ISO-8601 UTC: an event's own time (never after the ledger's clock), a duplicate's or action's record time */
  at: z.string(),
  /** the event's attempt; null for a duplicate and an action */
  attempt: z.number().int().nullable(),
  kind: z.enum(TIMELINE_KINDS),
  /** the event's per-attempt sequence; null for a duplicate and an action */
  seq: z.number().int().nullable(),
  /** per kind: counts, outcome, failures, owner, stream_seq, ignored; a duplicate's reason; an action's action, actor, reason and detail */
  detail: z.record(z.string(), z.unknown()),
});
export type TimelineEntryV1 = z.infer<typeof timelineEntryV1>;

export const getRunTimelineReplyV1 = z.object({
  ok: z.literal(true),
  entries: z.array(timelineEntryV1),
  next_cursor: z.string().nullable(),
});
export type GetRunTimelineReplyV1 = z.infer<typeof getRunTimelineReplyV1>;
