import type { KV } from '@nats-io/kv';
import { createLease, readLease, updateLease } from '@ops/nats';
import { LeaseLostError, type Leases } from '../domain/leases.ts';

/** The worker's lease store on the ops_locks bucket, through the one lease path of @ops/nats. */
export function createLeases(kv: KV): Leases {
  return {
    tryCreate: (key, value) => createLease(kv, key, value),
    async read(key) {
      const read = await readLease(kv, key);
      if (read.status === 'absent') return null;
      // a workspace lease under a run's key is as unreadable to a worker as garbage: never coerced
      const value = read.status === 'present' && read.value.kind === 'run' ? read.value : null;
      return { value, revision: read.revision };
    },
    async update(key, value, revision) {
      const next = await updateLease(kv, key, value, revision);
      if (next === null) throw new LeaseLostError(`lease ${key} was written by someone else`);
      return next;
    },
  };
}
