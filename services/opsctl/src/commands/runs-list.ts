import {
  FAILURE_CODE_LIST,
  type FailureCode,
  isoDateTime,
  type ListRunsRequestInputV1,
  listRunsRequestV1,
  RUN_STATUSES,
  RUN_TYPES,
  type RunOutcome,
  type RunV1,
} from '@ops/contracts';
import type { LedgerClient } from '@ops/ledger-client';
import { z } from 'zod';
import { choiceArg, intArg, uuidArg } from '../args.ts';
import { defineCommand } from '../cli.ts';
import { plural } from '../format.ts';
import { runsTable } from '../run-format.ts';

/** the outcomes list_runs accepts, read from its contract (one home: a new outcome shows up here by itself) */
const OUTCOMES = listRunsRequestV1.shape.outcome.unwrap().options as [RunOutcome, ...RunOutcome[]];
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * An instant for --since/--until: an ISO-8601 timestamp with an offset, or a
 * date alone (00:00 UTC of that day). A timestamp without an offset is
 * refused rather than read in the operator's local zone.
 */
function instantArg() {
  const message = 'must be an ISO-8601 timestamp with an offset (2025-01-31T09:00:00Z) or a date (2025-01-31, from 00:00 UTC)';
  return z.string({ error: message }).transform((value, ctx) => {
    const parsed = isoDateTime.safeParse(DATE_ONLY.test(value) ? `${value}T00:00:00Z` : value);
    if (parsed.success) return parsed.data;
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  });
}

/** The documented `--json` shape (docs/cli.md). */
export interface RunsListJson {
  runs: RunV1[];
  next_cursor: string | null;
}

export const runsList = defineCommand({
  path: ['runs', 'list'],
  summary: 'runs of a workspace, newest first (filters: tenant, type, status, outcome, failure code, initiator, time range)',
  usage:
    'opsctl runs list --workspace <uuid> [--tenant <uuid>] [--type <type>] [--status <status>] [--outcome <outcome>] ' +
    '[--failure-code <code>] [--initiator <name>] [--since <ISO-8601>] [--until <ISO-8601>] [--limit <1-500>] [--cursor <c>] [--json]',
  help: [
    `--type: ${RUN_TYPES.join(', ')}`,
    `--status: ${RUN_STATUSES.join(', ')}`,
    `--outcome: ${OUTCOMES.join(', ')}`,
    `--failure-code: runs with a failure of this code — ${FAILURE_CODE_LIST.join(', ')}`,
    '--initiator: the initiator name, exactly (1-200 characters)',
    '--since / --until: runs created at or after / before this instant — an ISO-8601 timestamp with an offset',
    '  (2025-01-31T09:00:00Z) or a date (2025-01-31, from 00:00 UTC)',
    'Filters combine (AND). --limit defaults to 50. Pass --cursor the next_cursor of the previous page, with the same filters.',
  ].join('\n'),
  options: {
    workspace: { type: 'string' },
    tenant: { type: 'string' },
    type: { type: 'string' },
    status: { type: 'string' },
    outcome: { type: 'string' },
    'failure-code': { type: 'string' },
    initiator: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
  },
  schema: z
    .object({
      workspace: uuidArg(),
      tenant: uuidArg().optional(),
      type: choiceArg(RUN_TYPES as [string, ...string[]]).optional(),
      status: choiceArg(RUN_STATUSES).optional(),
      outcome: choiceArg(OUTCOMES).optional(),
      'failure-code': choiceArg(FAILURE_CODE_LIST as [FailureCode, ...FailureCode[]]).optional(),
      initiator: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
      since: instantArg().optional(),
      until: instantArg().optional(),
      limit: intArg(1, 500).optional(),
      cursor: z.string().min(1, 'must not be empty').max(200, 'is too long — pass next_cursor unchanged').optional(),
    })
    // an empty range is an operator's slip, not a question with the answer "no runs"
    .refine((a) => a.since === undefined || a.until === undefined || a.since < a.until, {
      path: ['until'],
      message: 'must be later than --since',
    }),
  async run(ctx, args) {
    const { ledger } = await ctx.nats();
    const request: ListRunsRequestInputV1 = { workspace_id: args.workspace };
    if (args.tenant !== undefined) request.tenant_id = args.tenant;
    if (args.type !== undefined) request.type = args.type as ListRunsRequestInputV1['type'];
    if (args.status !== undefined) request.status = args.status;
    if (args.outcome !== undefined) request.outcome = args.outcome;
    if (args['failure-code'] !== undefined) request.failure_code = args['failure-code'];
    if (args.initiator !== undefined) request.initiator = args.initiator;
    if (args.since !== undefined) request.created_after = args.since;
    if (args.until !== undefined) request.created_before = args.until;
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
