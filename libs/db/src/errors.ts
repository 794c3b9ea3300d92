/**
 * PostgreSQL failures by class — the one place that reads SQLSTATEs and the
 * driver's errno codes (the ledger API, opsctl, later the event path):
 *
 * - `unavailable`: the server cannot be reached or is going away — retry
 *   later (class 08 connection exception, 57P operator intervention such as
 *   admin/crash shutdown or "cannot connect now", 53 insufficient resources,
 *   the socket's errno codes, and the pg driver's own codeless connect
 *   timeout / terminated connection);
 * - `data`: the statement's data was refused — retrying the same input fails
 *   again (class 22 data exception, 23 integrity constraint violation);
 * - `permission`: the role may not do this, or may not log in (42501, class 28);
 * - `other`: anything else (a bug, a missing table, a cancelled query).
 */
export type PgErrorClass = 'unavailable' | 'data' | 'permission' | 'other';

const SOCKET_ERRNOS = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'EPIPE',
]);

/** The SQLSTATE or errno of a pg / MikroORM failure (MikroORM wraps the pg error: the code may be only on a cause). */
export function pgErrorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
  }
  return undefined;
}

export function pgErrorClass(err: unknown): PgErrorClass {
  const code = pgErrorCode(err);
  if (code === undefined) {
    // the driver's own errors carry no code; these two texts are pg's, not the server's
    const text = err instanceof Error ? err.message : '';
    return /timeout exceeded when trying to connect|connection terminated/i.test(text) ? 'unavailable' : 'other';
  }
  if (SOCKET_ERRNOS.has(code) || /^(08|57P|53)/.test(code)) return 'unavailable';
  if (/^(22|23)/.test(code)) return 'data';
  if (code === '42501' || code.startsWith('28')) return 'permission';
  return 'other';
}
