import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { decodeLease, encodeLease, type LeaseV1, type Names } from '@ops/contracts';
import { isKvCasError } from './kv-cas.ts';

/**
 * The lease operations on the ops_locks bucket — the one path every service
 * and opsctl read and write leases through (the values: `leaseV1` of
 * @ops/contracts). Writes are compare-and-set on the entry's revision; a
 * refused CAS is an answer (`null` / `false`), not an error.
 */
export type LeaseRead =
  | { readonly status: 'absent' }
  /** a value no lease schema accepts: never coerced, the caller decides (usually: wait for the TTL) */
  | { readonly status: 'invalid'; readonly revision: number; readonly writtenAt: Date }
  | { readonly status: 'present'; readonly value: LeaseV1; readonly revision: number; readonly writtenAt: Date };

/**
 * The locks bucket's handle for the lease operations (worker, housekeeping,
 * opsctl; ensureLocksBucket). `allow_direct: false` binds `kv.get` to
 * `$JS.API.STREAM.MSG.GET`, answered by the stream leader. nats.js's `open`
 * does not look at the stream and defaults to that already; it is said here
 * so that a changed default cannot move reads to `$JS.API.DIRECT.GET`, which
 * any replica answers. The stream has direct gets off as well
 * (ensureLocksBucket), so the server would not answer one anyway.
 */
export function openLocksBucket(nc: NatsConnection, names: Names): Promise<KV> {
  return new Kvm(nc).open(names.kv.locks, { allow_direct: false });
}

/**
 * A leader read (docs/architecture.md, "Leader reads for leases"): callers
 * act on it without a compare-and-set afterwards — a cooldown skip, a
 * duplicate, a heal verdict, a stand-down — so it must not be a follower's
 * value that lags behind an acknowledged write. With a handle of
 * `openLocksBucket` this is one `STREAM.MSG.GET` to the stream leader.
 */
export async function readLease(kv: KV, key: string): Promise<LeaseRead> {
  const entry = await kv.get(key);
  // deleted, purged, or expired by the bucket TTL
  if (entry?.operation !== 'PUT') return { status: 'absent' };
  const value = decodeLease(entry.value);
  // `created` is the server's time of the write (shown to operators, never compared with a local clock)
  if (value === 'invalid') return { status: 'invalid', revision: entry.revision, writtenAt: entry.created };
  return { status: 'present', value, revision: entry.revision, writtenAt: entry.created };
}

/** The new revision, or null when the key exists (someone holds it). */
export async function createLease(kv: KV, key: string, value: LeaseV1): Promise<number | null> {
  try {
    return await kv.create(key, encodeLease(value));
  } catch (err) {
    if (isKvCasError(err)) return null;
    throw err;
  }
}

/** The new revision, or null when the entry is no longer at `revision` (someone else wrote it). */
export async function updateLease(kv: KV, key: string, value: LeaseV1, revision: number): Promise<number | null> {
  try {
    return await kv.update(key, encodeLease(value), revision);
  } catch (err) {
    if (isKvCasError(err)) return null;
    throw err;
  }
}

/** Deletes the lease only if it is still at `revision`; false when someone else wrote it. */
export async function deleteLease(kv: KV, key: string, revision: number): Promise<boolean> {
  try {
    await kv.delete(key, { previousSeq: revision });
    return true;
  } catch (err) {
    if (isKvCasError(err)) return false;
    throw err;
  }
}
