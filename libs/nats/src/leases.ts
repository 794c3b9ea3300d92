import type { KV } from '@nats-io/kv';
import { decodeLease, encodeLease, type LeaseV1 } from '@ops/contracts';
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
