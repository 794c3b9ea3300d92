/**
 * One PostgreSQL role per service (least privilege). Only ops_ledger may write
 * (insert into or update) the operation_runs table; grants: migrations/002-roles.ts.
 */
export const DB_ROLES = {
  ledger: 'ops_ledger',
  worker: 'ops_worker',
  housekeeping: 'ops_housekeeping',
  cli: 'ops_cli',
} as const;

/** The same URL with another user (password dropped: roles authenticate their own way). */
export function withRole(url: string, role: string): string {
  const u = new URL(url);
  u.username = role;
  u.password = '';
  return u.toString();
}

/** The same URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
}

/** host:port/db of a URL, for error messages (never the credentials). */
export function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}/${databaseName(url)}`;
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}
