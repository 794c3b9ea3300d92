import pg from 'pg';

export type { Pool } from 'pg';

export interface PoolOptions {
  readonly url: string;
  /** connections at most */
  readonly poolMax?: number;
  /** application_name shown in pg_stat_activity */
  readonly applicationName?: string;
  /** statement timeout (ms) for every query of this pool */
  readonly statementTimeoutMs?: number;
  /** an idle connection failed (the server restarted, the network cut it): the pool drops it and opens another when needed */
  readonly onIdleError?: (err: Error) => void;
}

/**
 * A plain pg pool, for a service that runs a few SQL statements of its own
 * and needs no ORM (the worker: its RSS budget has no room for MikroORM's
 * ~28 MB, issue #18). The same connection settings as createOrm's.
 */
export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax ?? 10,
    application_name: options.applicationName ?? 'ops',
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    connectionTimeoutMillis: 5_000,
  });
  // without a listener an idle client's error would crash the process
  pool.on('error', (err) => options.onIdleError?.(err));
  return pool;
}

/** SELECT 1 within a deadline (readiness). */
export async function pingPool(pool: pg.Pool, timeoutMs = 2_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('db ping timeout')), timeoutMs);
    });
    await Promise.race([pool.query('SELECT 1'), timeout]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A query that gives up when `signal` aborts: it is not sent once the signal
 * has aborted, and a query in flight stops being waited for (its result is
 * dropped; the statement itself may still complete — write statements must be
 * safe to land late, as the worker's snapshot upsert is by its attempt guard).
 * MikroORM's `execute(…, { signal })` behaved the same way.
 */
export async function queryUntilAborted<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  config: pg.QueryConfig,
  signal: AbortSignal,
): Promise<R[]> {
  signal.throwIfAborted();
  const query = pool.query<R>(config);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return (await Promise.race([query, aborted])).rows;
  } finally {
    signal.removeEventListener('abort', onAbort!);
    // a query given up on must not become an unhandled rejection
    query.catch(() => undefined);
  }
}
