import type { KV } from '@nats-io/kv';
import { isKvCasError } from '@ops/nats';
import { type LeaseValue, leaseValueSchema } from '../domain/lease.ts';

export interface LeaseEntry {
  readonly value: LeaseValue | null;
  readonly revision: number;
}

export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

/**
 * The lease operations, all compare-and-set: create only if absent, update
 * only at the revision we hold. A CAS failure means someone else wrote the
 * entry — for a holder that is "lease lost: stop now".
 */
export interface Leases {
  /** revision when created, null when the key already exists */
  tryCreate(key: string, value: LeaseValue): Promise<number | null>;
  read(key: string): Promise<LeaseEntry | null>;
  /** new revision; throws LeaseLostError on a revision mismatch */
  update(key: string, value: LeaseValue, revision: number): Promise<number>;
  /** deletes only if still at our revision (release for a retry); false if someone else wrote it */
  release(key: string, revision: number): Promise<boolean>;
}

const encoder = new TextEncoder();

export function createLeases(kv: KV): Leases {
  const encode = (value: LeaseValue) => encoder.encode(JSON.stringify(value));
  return {
    async tryCreate(key, value) {
      try {
        return await kv.create(key, encode(value));
      } catch (err) {
        if (isKvCasError(err)) return null;
        throw err;
      }
    },
    async read(key) {
      const entry = await kv.get(key);
      if (entry?.operation !== 'PUT') return null;
      let parsed: LeaseValue | null = null;
      try {
        const result = leaseValueSchema.safeParse(entry.json());
        parsed = result.success ? result.data : null;
      } catch {
        parsed = null;
      }
      return { value: parsed, revision: entry.revision };
    },
    async update(key, value, revision) {
      try {
        return await kv.update(key, encode(value), revision);
      } catch (err) {
        if (isKvCasError(err)) throw new LeaseLostError(`lease ${key} was written by someone else`);
        throw err;
      }
    },
    async release(key, revision) {
      try {
        await kv.delete(key, { previousSeq: revision });
        return true;
      } catch (err) {
        if (isKvCasError(err)) return false;
        throw err;
      }
    },
  };
}
