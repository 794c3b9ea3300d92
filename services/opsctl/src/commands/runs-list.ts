import { type ListRunsRequestInputV1, RUN_STATUSES, RUN_TYPES, type RunV1 } from '@ops/contracts';
import type { LedgerClient } from '@ops/ledger-client';
import { z } from 'zod';
import { choiceArg, intArg, uuidArg } from '../args.ts';
import { defineCommand } from '../cli.ts';
import { plural } from '../format.ts';
import { runsTable } from '../run-format.ts';

/** The documented `--json` shape (docs/cli.md). */
export interface RunsListJson {
  runs: RunV1[];
  next_cursor: string | null;
}

export const runsList = defineCommand({
  path: ['runs', 'list'],
  summary: 'runs of a workspace, newest first (filters: tenant, type, status)',
  usage:
    'opsctl runs list --workspace <uuid> [--tenant <uuid>] [--type <type>] [--status <status>] [--limit <1-500>] [--cursor <c>] [--json]',
  help: `--type: ${RUN_TYPES.join(', ')}; --status: ${RUN_STATUSES.join(', ')}; --limit defaults to 50.\nPass --cursor the next_cursor of the previous page.`,
  options: {
    workspace: { type: 'string' },
    tenant: { type: 'string' },
    type: { type: 'string' },
    status: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
  },
  schema: z.object({
    workspace: uuidArg(),
    tenant: uuidArg().optional(),
    type: choiceArg(RUN_TYPES as [string, ...string[]]).optional(),
    status: choiceArg(RUN_STATUSES).optional(),
    limit: intArg(1, 500).optional(),
    cursor: z.string().min(1, 'must not be empty').max(200, 'is too long — pass next_cursor unchanged').optional(),
  }),
  async run(ctx, args) {
    const { ledger } = await ctx.nats();
    const request: ListRunsRequestInputV1 = { workspace_id: args.workspace };
    if (args.tenant !== undefined) request.tenant_id = args.tenant;
    if (args.type !== undefined) request.type = args.type as ListRunsRequestInputV1['type'];
    if (args.status !== undefined) request.status = args.status;
    if (args.limit !== undefined) request.limit = args.limit;
    if (args.cursor !== undefined) request.cursor = args.cursor;
    const json = await listRuns(ledger, request);
    return { json, text: renderRuns(json) };
  },
});

/** One page of list_runs in the documented shape (shared with `opsctl demo`). */
export async function listRuns(ledger: LedgerClient, request: ListRunsRequestInputV1): Promise<RunsListJson> {
  const reply = await ledger.listRuns(request);
  return { runs: reply.runs, next_cursor: reply.next_cursor };
}

export function renderRuns(data: RunsListJson): string {
  if (data.runs.length === 0) return 'no runs match';
  const more = data.next_cursor === null ? '' : `\nmore: opsctl runs list … --cursor ${data.next_cursor}`;
  return `${runsTable(data.runs)}\n\n${plural(data.runs.length, 'run')}${more}`;
}
