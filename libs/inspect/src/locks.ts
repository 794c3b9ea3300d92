import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Names } from '@ops/contracts';
import { isNotFound, openLocksBucket, readLease } from '@ops/nats';

/** One entry of the locks bucket as operators see it (docs/cli.md, `locks list`). */
export interface LockJson {
  key: string;
  run_id: string | null;
  state: string;
  attempt: number | null;
  owner: string | null;
  age_seconds: number;
}

/** The documented `opsctl locks list --json` shape (docs/cli.md); the console's GET /api/locks too. */
export interface LocksListJson {
  locks: LockJson[];
}

/**
 * Every key of the ops_locks bucket, sorted, read the way the services read
 * them (leader reads, `readLease`). No bucket yet (nothing started on this
 * prefix) is an empty list. A value no lease schema accepts is listed with
 * state `invalid` and nulls — never guessed.
 */
export async function listLocks(nc: NatsConnection, names: Names, now: () => number = Date.now): Promise<LocksListJson> {
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.info(`KV_${names.kv.locks}`);
  } catch (err) {
    if (isNotFound(err)) return { locks: [] };
    throw err;
  }
  const kv = await openLocksBucket(nc, names);
  const keys: string[] = [];
  for await (const key of await kv.keys()) keys.push(key);
  keys.sort();
  const at = now();
  const locks: LockJson[] = [];
  for (const key of keys) {
    const read = await readLease(kv, key);
    // deleted or purged between keys() and get(), or expired by the bucket TTL
    if (read.status === 'absent') continue;
    // age since the server stored the value (its own clock, like the bucket TTL)
    const age_seconds = Math.max(0, Math.floor((at - read.writtenAt.getTime()) / 1000));
    if (read.status === 'invalid') {
      locks.push({ key, run_id: null, state: 'invalid', attempt: null, owner: null, age_seconds });
      continue;
    }
    const v = read.value;
    locks.push({ key, run_id: v.run_id, state: v.state, attempt: v.kind === 'run' ? v.attempt : null, owner: v.owner, age_seconds });
  }
  return { locks };
}
