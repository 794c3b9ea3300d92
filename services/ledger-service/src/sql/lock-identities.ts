import { statement } from './statement.ts';

/**
 * Transaction-scoped advisory locks on a batch's identities, taken before
 * ensure_runs reads (sql/ensure-runs.ts; repositories/ensure-runs.ts runs the
 * two in one transaction). Keys (`workspace|tenant|identity hash`) are hashed
 * to bigints, deduplicated and locked in order, so two batches sharing
 * identities wait for each other instead of deadlocking; a hash collision only
 * makes two identities wait for each other. Locks: until the transaction ends.
 */
export const LOCK_IDENTITIES = statement<'keys', { locked: string }>(
  'lock_identities_v1',
  `
  SELECT count(pg_advisory_xact_lock(s.k)) AS locked
    FROM (SELECT DISTINCT hashtextextended(key, 0) AS k
            FROM jsonb_array_elements_text($keys::jsonb) AS key
           ORDER BY k) s`,
);
