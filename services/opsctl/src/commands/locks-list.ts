import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { isNotFound } from '@ops/nats';
import { z } from 'zod';
import { defineCommand } from '../cli.ts';
import { plural, table } from '../format.ts';

/** The documented `--json` shape (docs/cli.md). */
export interface LocksListJson {
  locks: Array<{ key: string; run_id: string | null; state: string; attempt: number | null; owner: string | null; age_seconds: number }>;
}

/**
 * What the workers write (`{run_id, owner, attempt, state, heartbeat_at, completed_at?}`),
 * read leniently: the CLI shows what is there and marks what it cannot read.
 */
const leaseValue = z.object({
  run_id: z.string(),
  owner: z.string(),
  attempt: z.number().int(),
  state: z.string().min(1),
});

const utf8 = new TextDecoder('utf-8', { fatal: true });

export const locksList = defineCommand({
  path: ['locks', 'list'],
  summary: 'execution leases and cooldown markers in the ops_locks KV bucket',
  usage: 'opsctl locks list [--json]',
  help: 'Keys are <type>.<identity-hash>; state running = a worker holds it, completed = the identity is cooling down.\nAn unreadable value is shown with state invalid.',
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
    const kv = await new Kvm(nc).open(names.kv.locks);
    const keys: string[] = [];
    for await (const key of await kv.keys()) keys.push(key);
    keys.sort();
    const now = Date.now();
    const locks: LocksListJson['locks'] = [];
    for (const key of keys) {
      const entry = await kv.get(key);
      // deleted or purged between keys() and get(), or expired by the bucket TTL
      if (entry?.operation !== 'PUT') continue;
      const age_seconds = Math.max(0, Math.floor((now - entry.created.getTime()) / 1000));
      const value = parse(entry.value);
      locks.push(value ? { key, ...value, age_seconds } : { key, run_id: null, state: 'invalid', attempt: null, owner: null, age_seconds });
    }
    return output({ locks });
  },
});

function parse(bytes: Uint8Array): z.infer<typeof leaseValue> | undefined {
  try {
    const parsed = leaseValue.safeParse(JSON.parse(utf8.decode(bytes)));
    return parsed.success
      ? { run_id: parsed.data.run_id, state: parsed.data.state, attempt: parsed.data.attempt, owner: parsed.data.owner }
      : undefined;
  } catch {
    return undefined;
  }
}

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
