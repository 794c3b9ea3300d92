import type { RunV1 } from '@ops/contracts';
import { z } from 'zod';
import { uuidArg } from '../args.ts';
import { defineCommand } from '../cli.ts';
import { runDetails } from '../run-format.ts';

export const runsShow = defineCommand({
  path: ['runs', 'show'],
  summary: 'one run of a workspace, as the ledger holds it (through NATS)',
  usage: 'opsctl runs show <run-id> --workspace <uuid> [--json]',
  help: "--json prints the run object with the ledger's column names (docs/cli.md).",
  options: { workspace: { type: 'string' } },
  positionals: ['run-id'],
  schema: z.object({ 'run-id': uuidArg(), workspace: uuidArg() }),
  async run(ctx, args) {
    const { ledger } = await ctx.nats();
    const run: RunV1 = await ledger.getRun({ workspace_id: args.workspace, run_id: args['run-id'] });
    return { json: run, text: runDetails(run) };
  },
});
