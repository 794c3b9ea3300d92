import type { KV } from '@nats-io/kv';
import { isKvCasError } from '@ops/nats';
import { type LeaseValue, leaseValueSchema } from '../domain/lease.ts';
import { LeaseLostError, type Leases } from '../domain/leases.ts';

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
