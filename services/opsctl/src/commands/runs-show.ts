import type { GetRunTimelineReplyV1, RunV1, TimelineEntryV1 } from '@ops/contracts';
import { z } from 'zod';
import { uuidArg } from '../args.ts';
import { defineCommand } from '../cli.ts';
import type { NatsHandles } from '../nats.ts';
import { actionsOf, type RunShowJson, runDetails, TIMELINE_MAX_ENTRIES } from '../run-format.ts';

export const runsShow = defineCommand({
  path: ['runs', 'show'],
  summary: 'one run of a workspace, its timeline and its audit record, as the ledger holds them (through NATS)',
  usage: 'opsctl runs show <run-id> --workspace <uuid> [--json]',
  help: "--json prints the run object with the ledger's column names plus `timeline` and `actions` (docs/cli.md).",
  options: { workspace: { type: 'string' } },
  positionals: ['run-id'],
  schema: z.object({ 'run-id': uuidArg(), workspace: uuidArg() }),
  async run(ctx, args) {
    const handles = await ctx.nats();
    const run: RunV1 = await handles.ledger.getRun({ workspace_id: args.workspace, run_id: args['run-id'] });
    const { entries, truncated } = await timelineOf(handles, args.workspace, args['run-id']);
    const json: RunShowJson = { ...run, timeline: entries, actions: actionsOf(entries) };
    return { json, text: runDetails(run, { entries, truncated }) };
  },
});

/** Every page of get_run_timeline, oldest first, up to TIMELINE_MAX_ENTRIES. */
async function timelineOf(
  handles: NatsHandles,
  workspaceId: string,
  runId: string,
): Promise<{ entries: TimelineEntryV1[]; truncated: boolean }> {
  const entries: TimelineEntryV1[] = [];
  let cursor: string | null = null;
  do {
    const page: GetRunTimelineReplyV1 = await handles.ledger.getRunTimeline({
      workspace_id: workspaceId,
      run_id: runId,
      limit: 1000,
      ...(cursor ? { cursor } : {}),
    });
    entries.push(...page.entries);
    cursor = page.next_cursor;
  } while (cursor !== null && entries.length < TIMELINE_MAX_ENTRIES);
  return { entries: entries.slice(0, TIMELINE_MAX_ENTRIES), truncated: cursor !== null || entries.length > TIMELINE_MAX_ENTRIES };
}
