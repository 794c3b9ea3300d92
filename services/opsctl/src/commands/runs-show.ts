import { readRunDetail } from '@ops/inspect';
import { z } from 'zod';
import { uuidArg } from '../args.ts';
import { defineCommand } from '../cli.ts';
import { runDetails } from '../run-format.ts';

export const runsShow = defineCommand({
  path: ['runs', 'show'],
  summary: 'one run of a workspace, its timeline and its audit record, as the ledger holds them (through NATS)',
  usage: 'opsctl runs show <run-id> --workspace <uuid> [--json]',
  help: "--json prints the run object with the ledger's column names plus `timeline` and `actions` (docs/cli.md).",
  options: { workspace: { type: 'string' } },
  positionals: ['run-id'],
  schema: z.object({ 'run-id': uuidArg(), workspace: uuidArg() }),
  async run(ctx, args) {
    const { ledger } = await ctx.nats();
    // get_run, then every page of get_run_timeline up to 10,000 entries (shared with the console)
    const { detail, truncated } = await readRunDetail(ledger, args.workspace, args['run-id']);
    return { json: detail, text: runDetails(detail, { entries: detail.timeline, truncated }) };
  },
});
