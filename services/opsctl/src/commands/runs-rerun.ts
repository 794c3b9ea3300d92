import { z } from 'zod';
import { ACTION_HELP, ACTION_OPTIONS, actionArgs, actionLine } from '../actions.ts';
import { uuidArg } from '../args.ts';
import { defineCommand } from '../cli.ts';

export const runsRerun = defineCommand({
  path: ['runs', 'rerun'],
  summary: 'a new run of a completed run’s job (operator user; audited)',
  usage: 'opsctl runs rerun <run-id> --workspace <uuid> [--force] --actor <name> --reason <text> [--json]',
  help: `Through ensure_run: dedupe and the cooldown apply. --force bypasses the cooldown, never the overlap rule\n(an active run of the same job is answered, nothing is created). ${ACTION_HELP}`,
  options: { workspace: { type: 'string' }, force: { type: 'boolean', default: false }, ...ACTION_OPTIONS },
  positionals: ['run-id'],
  schema: z.object({ 'run-id': uuidArg(), workspace: uuidArg(), force: z.boolean(), ...actionArgs }),
  async run(ctx, args) {
    const { admin } = await ctx.nats();
    const reply = await admin.rerunRun({
      workspace_id: args.workspace,
      run_id: args['run-id'],
      force: args.force,
      actor: args.actor,
      reason: args.reason,
    });
    const { ok: _ok, run, ...rest } = reply;
    const json = { run_id: run.id, ...rest, run };
    const text =
      reply.disposition === 'created'
        ? `created run ${run.id}, a re-run of ${reply.rerun_of}${reply.forced ? ' (forced past the cooldown)' : ''}${reply.published ? ' (published job)' : ' — its job is not stored yet'}\n${actionLine(reply.action!)}`
        : reply.disposition === 'active'
          ? `active: run ${run.id} of the same job is ${run.status} — nothing created`
          : `cooldown: run ${run.id} of the same job completed at ${run.completed_at} — nothing created (add --force to re-run now)`;
    return { json, text };
  },
});
