import { type LocksListJson, listLocks } from '@ops/inspect';
import { z } from 'zod';
import { defineCommand } from '../cli.ts';
import { plural, table } from '../format.ts';

/** The documented `--json` shape (docs/cli.md), read by @ops/inspect (shared with the console). */
export type { LocksListJson } from '@ops/inspect';

export const locksList = defineCommand({
  path: ['locks', 'list'],
  summary: 'execution leases and cooldown markers in the ops_locks KV bucket',
  usage: 'opsctl locks list [--json]',
  help: 'Keys are <type>.<identity-hash>; state running = a worker (or, for ops.reconcile_adapter_runs, a housekeeping replica) holds it,\ncompleted = the identity is cooling down. A value no lease schema accepts is shown with state invalid.',
  schema: z.object({}),
  async run(ctx) {
    const { nc, names } = await ctx.nats();
    return output(await listLocks(nc, names));
  },
});

function output(json: LocksListJson) {
  if (json.locks.length === 0) return { json, text: 'no locks' };
  const rows = json.locks.map((l) => [
    l.key,
    l.run_id ?? '-',
    l.state,
    l.attempt === null ? '-' : String(l.attempt),
    l.owner ?? '-',
    `${l.age_seconds}s`,
  ]);
  return { json, text: `${table(['KEY', 'RUN_ID', 'STATE', 'ATTEMPT', 'OWNER', 'AGE'], rows)}\n\n${plural(json.locks.length, 'lock')}` };
}
