import { type Env, intKey, loadConfig, sharedKeys } from '@ops/config';
import { LONGEST_COOLDOWN_SECONDS } from '@ops/contracts';
import { z } from 'zod';

/** ledger-service configuration: the shared keys plus its own (README lists them all). */
export const ledgerConfigSchema = z.object({
  ...sharedKeys,
  /** port of /healthz, /readyz, /metrics */
  HTTP_PORT: intKey(8081, 0, 65535).describe('HTTP port for /healthz, /readyz, /metrics (ledger-service)'),
  /** most ledger events applied in one transaction */
  LEDGER_BATCH_MAX: intKey(256, 1, 5000).describe('most ledger events applied in one batch (one read, one conditional write)'),
  /** flush a partial batch after this long */
  LEDGER_BATCH_WAIT_MS: intKey(20, 1, 5000).describe('longest wait before a partial event batch is applied (ms)'),
  /** larger events are dead-lettered as oversized */
  LEDGER_MAX_EVENT_BYTES: intKey(16 * 1024, 256, 1024 * 1024).describe('largest accepted ledger event (bytes)'),
  /** larger API requests are refused as bad requests */
  LEDGER_MAX_REQUEST_BYTES: intKey(64 * 1024, 256, 1024 * 1024).describe('largest accepted ops.ledger.api request (bytes)'),
  /** API requests handled at once (beyond: queued) */
  LEDGER_API_MAX_IN_FLIGHT: intKey(32, 1, 1000).describe('ops.ledger.api requests handled at once; more wait in a queue'),
  /** API requests waiting; beyond: refused as overloaded (unavailable, retry). 32 + 256 at ~200 requests/s
   *  is ~1.5 s of queue: well inside a caller's 5 s timeout, so queued work is not wasted */
  LEDGER_API_MAX_QUEUED: intKey(256, 0, 100_000).describe(
    'ops.ledger.api requests that may wait; beyond, refused as overloaded (retryable)',
  ),
  /**
   * TTL of the ops_locks bucket it creates: how long a lease outlives its last
   * write, i.e. the execution-side cooldown. Defaults to the catalog's longest
   * cooldown; an override is for tests (a short cooldown) and is warned about.
   */
  LOCKS_TTL_SECONDS: intKey(LONGEST_COOLDOWN_SECONDS, 1, 86_400).describe(
    "TTL of the ops_locks KV bucket (seconds): the execution-side cooldown after a completion; defaults to the catalog's longest cooldown",
  ),
  /** release_lock's judgement of a running lease (issue #21): the same rule as a worker's, so at least its stale time */
  LEDGER_LEASE_STALE_MS: intKey(10_000, 500, 600_000).describe(
    'how long `opsctl locks release` watches a running lease before judging its holder stale (ms); keep it >= WORKER_LEASE_STALE_MS',
  ),
  /** PostgreSQL connections of the ledger */
  DB_POOL_MAX: intKey(10, 1, 100).describe('PostgreSQL pool size'),
});
export type LedgerConfig = z.infer<typeof ledgerConfigSchema>;

export function loadLedgerConfig(env?: Env): Readonly<LedgerConfig> {
  return loadConfig(ledgerConfigSchema, env);
}
