import { z } from 'zod';
import { ACTION_HELP, ACTION_OPTIONS, actionArgs, actionLine } from '../actions.ts';
import { uuidArg } from '../args.ts';
import { defineCommand } from '../cli.ts';

export const runsCancel = defineCommand({
  path: ['runs', 'cancel'],
  summary: 'cancel a queued or running run (operator user; audited)',
  usage: 'opsctl runs cancel <run-id> --workspace <uuid> --actor <name> --reason <text> [--json]',
  help: `A queued run's job is removed; a running run's worker is fenced (its next lease renewal fails and it stops).\nThe run ends completed/cancelled with code run.cancelled and its last counters. ${ACTION_HELP}`,
  options: { workspace: { type: 'string' }, ...ACTION_OPTIONS },
  positionals: ['run-id'],
  schema: z.object({ 'run-id': uuidArg(), workspace: uuidArg(), ...actionArgs }),
  async run(ctx, args) {
    const { admin } = await ctx.nats();
    const reply = await admin.cancelRun({ workspace_id: args.workspace, run_id: args['run-id'], actor: args.actor, reason: args.reason });
    const { ok: _ok, ...json } = reply;
    const how =
      reply.previous_status === 'queued' ? (reply.job_removed ? 'its job removed' : 'its job fenced by the marker') : 'its worker fenced';
    return {
      json,
      text: `cancelled run ${reply.run.id} (was ${reply.previous_status}; ${how})\n${actionLine(reply.action)}`,
    };
  },
});
