import { isOpsError, sanitizeMessage } from '@ops/contracts';
import { DB_ROLES, describeDatabase, pgErrorClass, pgErrorCode } from '@ops/db';

/**
 * The only error the CLI prints as-is: one line on stderr and an exit code
 * (2 bad arguments or configuration, 1 any other handled failure). Messages
 * say what was wrong, where (host:port, never credentials) and what to do.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: 1 | 2;
  /** printed under a bad-arguments message so the operator sees the right form */
  readonly usage: string | undefined;

  constructor(exitCode: 1 | 2, message: string, options: { usage?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = exitCode;
    this.usage = options.usage;
  }
}

export function usageError(message: string, usage?: string): CliError {
  return new CliError(2, message, usage === undefined ? {} : { usage });
}

/** Maps a pg/MikroORM failure to an operator message (SQLSTATE and errno codes, not message text). */
export function databaseError(err: unknown, url: string): CliError {
  const where = describeDatabase(url);
  const code = pgErrorCode(err);
  if (pgErrorClass(err) === 'unavailable') {
    return new CliError(1, `PostgreSQL unreachable at ${where} — start it or set DATABASE_URL`, { cause: err });
  }
  const message = ((): string => {
    switch (code) {
      case '3D000':
        return `database ${where} does not exist — run \`pnpm seed\` or set DATABASE_URL`;
      case '42P01':
        return `PostgreSQL at ${where} has no ops tables — run \`pnpm seed\` to apply the migrations`;
      case '28000':
      case '28P01':
        return `PostgreSQL at ${where} refused the login — check the user and password in DATABASE_URL`;
      case '42501':
        return `the DATABASE_URL role may not read this data at ${where} — use a role with read access (e.g. ${DB_ROLES.cli})`;
      case '57014':
        return `PostgreSQL at ${where} cancelled the query (statement timeout) — retry, or check the server's load`;
      default:
        return `PostgreSQL request failed at ${where}: ${sanitizeMessage(err, { maxLength: 300 })}`;
    }
  })();
  return new CliError(1, message, { cause: err });
}

/** One line for anything a command threw: CliError and OpsError verbatim, the rest sanitized. */
export function describeFailure(err: unknown): { exitCode: 1 | 2; message: string; usage?: string } {
  if (err instanceof CliError)
    return err.usage === undefined
      ? { exitCode: err.exitCode, message: err.message }
      : { exitCode: err.exitCode, message: err.message, usage: err.usage };
  if (isOpsError(err)) {
    // bad_request from a service means our arguments were wrong
    return { exitCode: err.code === 'bad_request' ? 2 : 1, message: sanitizeMessage(err, { maxLength: 500 }) };
  }
  return { exitCode: 1, message: `unexpected error: ${sanitizeMessage(err, { maxLength: 300 })}` };
}
