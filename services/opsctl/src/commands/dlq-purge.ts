import { z } from 'zod';
import { ACTION_HELP, ACTION_OPTIONS, actionArgs, actionLine } from '../actions.ts';
import { intArg } from '../args.ts';
import { defineCommand } from '../cli.ts';

export const dlqPurge = defineCommand({
  path: ['dlq', 'purge'],
  summary: 'remove one dead letter for good (operator user; audited)',
  usage: 'opsctl dlq purge <seq> --actor <name> --reason <text> [--json]',
  help: `<seq> is a sequence of \`opsctl dlq list\`. ${ACTION_HELP}`,
  options: { ...ACTION_OPTIONS },
  positionals: ['seq'],
  schema: z.object({ seq: intArg(1, 999_999_999), ...actionArgs }),
  async run(ctx, args) {
    const { admin } = await ctx.nats();
    const reply = await admin.purgeDeadLetter({ seq: args.seq, actor: args.actor, reason: args.reason });
    const { ok: _ok, ...json } = reply;
    return { json, text: `purged dead letter ${reply.seq} (${reply.reason})\n${actionLine(reply.action)}` };
  },
});
