import { z } from 'zod';
import { ACTION_HELP, ACTION_OPTIONS, actionArgs, actionLine } from '../actions.ts';
import { defineCommand } from '../cli.ts';

export const locksRelease = defineCommand({
  path: ['locks', 'release'],
  summary: 'release a lease of the locks bucket (operator user; audited)',
  usage: 'opsctl locks release <key> [--force] [--cooldown] --actor <name> --reason <text> [--json]',
  help: `<key> is a key of \`opsctl locks list\`. A running lease is watched for the stale time (LEDGER_LEASE_STALE_MS, 10 s):\nrefused while its holder renews it, unless --force (the holder is fenced: its next renewal fails and it stops).\nA completed value is the cooldown marker: released only with --cooldown. ${ACTION_HELP}`,
  options: { force: { type: 'boolean', default: false }, cooldown: { type: 'boolean', default: false }, ...ACTION_OPTIONS },
  positionals: ['key'],
  schema: z.object({
    key: z
      .string({ error: 'is required' })
      .regex(/^[a-z_]+\.[a-z_]+\.[0-9a-f]{64}$/, 'must be a key of `opsctl locks list` (<type>.<identity-hash>)'),
    force: z.boolean(),
    cooldown: z.boolean(),
    ...actionArgs,
  }),
  async run(ctx, args) {
    const { admin } = await ctx.nats();
    const reply = await admin.releaseLock({
      key: args.key,
      force: args.force,
      cooldown: args.cooldown,
      actor: args.actor,
      reason: args.reason,
    });
    const { ok: _ok, ...json } = reply;
    return {
      json,
      text: `released ${reply.key} (state ${reply.state}, holder ${reply.holder}${reply.forced ? ', forced' : ''})\n${actionLine(reply.action)}`,
    };
  },
});
