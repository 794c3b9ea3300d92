import { NoRespondersError, TimeoutError } from '@nats-io/nats-core';
import { OpsError, apiErrorReplyV1, encodeJson, housekeepingRunReplyV1 } from '@ops/contracts';
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
    let reply;
    try {
      reply = await nc.request(names.housekeepingRunSubject, encodeJson({ workspace_id: args.workspace }), { timeout: TIMEOUT_MS });
    } catch (err) {
      if (err instanceof NoRespondersError || (err as Error).cause instanceof NoRespondersError) {
        throw new OpsError('unavailable', 'the housekeeping service is not running (no responders on ops.housekeeping.run)', { cause: err });
      }
      if (err instanceof TimeoutError || (err as Error).cause instanceof TimeoutError) {
        throw new OpsError('timeout', `housekeeping did not answer within ${TIMEOUT_MS / 1000} s`, { cause: err });
      }
      throw err;
    }
    const body: unknown = reply.json();
    const failure = apiErrorReplyV1.safeParse(body);
    if (failure.success) throw new OpsError(failure.data.error.code, failure.data.error.message, { issues: failure.data.error.issues });
    const parsed = housekeepingRunReplyV1.parse(body);
    const json = { run_id: parsed.run_id, disposition: parsed.disposition };
    const text =
      parsed.disposition === 'created'
        ? `reconcile run ${parsed.run_id} executed — see: opsctl runs show ${parsed.run_id} --workspace ${args.workspace}`
        : `active: another execution holds this workspace's lease${parsed.run_id ? ` (run ${parsed.run_id})` : ''} — nothing started`;
    return { json, text };
  },
});
