import { z } from 'zod';
import { ACTION_HELP, ACTION_OPTIONS, actionArgs, actionLine } from '../actions.ts';
import { intArg } from '../args.ts';
import { defineCommand } from '../cli.ts';

export const dlqRedrive = defineCommand({
  path: ['dlq', 'redrive'],
  summary: 'publish a dead letter again to its origin subject, then remove it (operator user; audited)',
  usage: 'opsctl dlq redrive <seq> [--force] --actor <name> --reason <text> [--json]',
  help: `<seq> is a sequence of \`opsctl dlq list\`. Reasons the same bytes fail on again (schema_invalid, oversized,\ninvalid_json) need --force; a truncated copy is never redriven (purge it). ${ACTION_HELP}`,
  options: { force: { type: 'boolean', default: false }, ...ACTION_OPTIONS },
  positionals: ['seq'],
  schema: z.object({ seq: intArg(1, 999_999_999), force: z.boolean(), ...actionArgs }),
  async run(ctx, args) {
    const { admin } = await ctx.nats();
    const reply = await admin.redriveDeadLetter({ seq: args.seq, force: args.force, actor: args.actor, reason: args.reason });
    const { ok: _ok, ...json } = reply;
    return {
      json,
      text: `redrove dead letter ${reply.seq} (${reply.reason}) to ${reply.subject}: stored as ${reply.stream} #${reply.redriven_seq}\n${actionLine(reply.action)}`,
    };
  },
});
