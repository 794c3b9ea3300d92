import { housekeepingRunReplyV1 } from '@ops/contracts';
import { requestService } from '@ops/ledger-client';
import { z } from 'zod';
import { uuidArg } from '../args.ts';
import { defineCommand } from '../cli.ts';

/** A reconcile scans one workspace's active runs: generous, but bounded. */
const TIMEOUT_MS = 60_000;

export const housekeepingRun = defineCommand({
  path: ['housekeeping', 'run'],
  summary: 'run ops.reconcile_adapter_runs for a workspace now (through the housekeeping service)',
  usage: 'opsctl housekeeping run --workspace <uuid> [--json]',
  help: 'Answers when the execution ended: disposition created (it ran; run_id is its run) or active (another execution held the workspace lease).',
  options: { workspace: { type: 'string' } },
  schema: z.object({ workspace: uuidArg() }),
  async run(ctx, args) {
    const { nc, names } = await ctx.nats();
    const parsed = await requestService(
      nc,
      { subject: names.housekeepingRunSubject, service: 'the housekeeping service', group: 'ops.housekeeping.run', what: 'run' },
      { workspace_id: args.workspace },
      housekeepingRunReplyV1,
      TIMEOUT_MS,
    );
    const json = { run_id: parsed.run_id, disposition: parsed.disposition };
    const text =
      parsed.disposition === 'created'
        ? `reconcile run ${parsed.run_id} executed — see: opsctl runs show ${parsed.run_id} --workspace ${args.workspace}`
        : `active: another execution holds this workspace's lease${parsed.run_id ? ` (run ${parsed.run_id})` : ''} — nothing started`;
    return { json, text };
  },
});
