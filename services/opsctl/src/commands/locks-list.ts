import { jetstreamManager } from '@nats-io/jetstream';
import { isNotFound, openLocksBucket, readLease } from '@ops/nats';
import { z } from 'zod';
import { defineCommand } from '../cli.ts';
import { plural, table } from '../format.ts';

/** The documented `--json` shape (docs/cli.md). */
export interface LocksListJson {
  locks: Array<{ key: string; run_id: string | null; state: string; attempt: number | null; owner: string | null; age_seconds: number }>;
}

export const locksList = defineCommand({
  path: ['locks', 'list'],
  summary: 'execution leases and cooldown markers in the ops_locks KV bucket',
  usage: 'opsctl locks list [--json]',
  help: 'Keys are <type>.<identity-hash>; state running = a worker (or, for ops.reconcile_adapter_runs, a housekeeping replica) holds it,\ncompleted = the identity is cooling down. A value no lease schema accepts is shown with state invalid.',
  schema: z.object({}),
  async run(ctx) {
    const { nc, names } = await ctx.nats();
    const jsm = await jetstreamManager(nc);
    try {
      await jsm.streams.info(`KV_${names.kv.locks}`);
    } catch (err) {
      // no bucket yet (nothing started the services on this prefix): no locks
      if (isNotFound(err)) return output({ locks: [] });
      throw err;
    }
    const kv = await openLocksBucket(nc, names);
    const keys: string[] = [];
    for await (const key of await kv.keys()) keys.push(key);
    keys.sort();
    const now = Date.now();
    const locks: LocksListJson['locks'] = [];
    for (const key of keys) {
      const read = await readLease(kv, key);
      // deleted or purged between keys() and get(), or expired by the bucket TTL
      if (read.status === 'absent') continue;
      // age since the server stored the value (its own clock, like the bucket TTL)
      const age_seconds = Math.max(0, Math.floor((now - read.writtenAt.getTime()) / 1000));
      if (read.status === 'invalid') {
        locks.push({ key, run_id: null, state: 'invalid', attempt: null, owner: null, age_seconds });
        continue;
      }
      const v = read.value;
      locks.push({ key, run_id: v.run_id, state: v.state, attempt: v.kind === 'run' ? v.attempt : null, owner: v.owner, age_seconds });
    }
    return output({ locks });
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
