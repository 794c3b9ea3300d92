import type { RunLeaseV1 } from '@ops/contracts';

// The lease store as the domain sees it (a port): LeaseHolder depends on this,
// repositories/leases.ts implements it on the ops_locks KV bucket.

export interface LeaseEntry {
  readonly value: RunLeaseV1 | null;
  readonly revision: number;
}

export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

/**
 * The lease operations, all compare-and-set: create only if absent, update
 * only at the revision we hold. A CAS failure means someone else wrote the
 * entry — for a holder that is "lease lost: stop now". A worker never deletes
 * a lease: the entry carries the run's attempt number (the allocator) until
 * the bucket TTL removes it.
 */
export interface Leases {
  /** revision when created, null when the key already exists */
  tryCreate(key: string, value: RunLeaseV1): Promise<number | null>;
  read(key: string): Promise<LeaseEntry | null>;
  /** new revision; throws LeaseLostError on a revision mismatch */
  update(key: string, value: RunLeaseV1, revision: number): Promise<number>;
}
