import type { GetRunTimelineReplyV1, RunV1, TimelineEntryV1 } from '@ops/contracts';
import type { LedgerClient } from '@ops/ledger-client';

/** at most this many timeline entries are read (a run's progress events are bounded by its heartbeats) */
export const TIMELINE_MAX_ENTRIES = 10_000;

/** An operator action of the run's audit record, from its timeline entry. */
export interface RunActionJson {
  readonly action: string;
  readonly actor: string;
  readonly reason: string;
  readonly at: string;
  /** what the action did (its own detail, without action, actor and reason) */
  readonly detail: Record<string, unknown>;
}

/** The run object plus its whole timeline (oldest first) and its audit record: `opsctl runs show --json` (docs/cli.md). */
export type RunDetail = RunV1 & { readonly timeline: TimelineEntryV1[]; readonly actions: RunActionJson[] };

/** The audit record of a run: its timeline's `action` entries. */
export function actionsOf(entries: readonly TimelineEntryV1[]): RunActionJson[] {
  return entries
    .filter((e) => e.kind === 'action')
    .map((e) => {
      const { action, actor, reason, ...detail } = e.detail;
      return { action: String(action), actor: String(actor), reason: String(reason), at: e.at, detail };
    });
}

/**
 * `get_run`, then every page of `get_run_timeline` up to TIMELINE_MAX_ENTRIES
 * (docs/architecture.md, "Run timeline"); `truncated` when more were left.
 */
export async function readRunDetail(
  ledger: Pick<LedgerClient, 'getRun' | 'getRunTimeline'>,
  workspaceId: string,
  runId: string,
): Promise<{ detail: RunDetail; truncated: boolean }> {
  const run = await ledger.getRun({ workspace_id: workspaceId, run_id: runId });
  const entries: TimelineEntryV1[] = [];
  let cursor: string | null = null;
  do {
    const page: GetRunTimelineReplyV1 = await ledger.getRunTimeline({
      workspace_id: workspaceId,
      run_id: runId,
      limit: 1000,
      ...(cursor ? { cursor } : {}),
    });
    entries.push(...page.entries);
    cursor = page.next_cursor;
  } while (cursor !== null && entries.length < TIMELINE_MAX_ENTRIES);
  const timeline = entries.slice(0, TIMELINE_MAX_ENTRIES);
  return {
    detail: { ...run, timeline, actions: actionsOf(timeline) },
    truncated: cursor !== null || entries.length > TIMELINE_MAX_ENTRIES,
  };
}
