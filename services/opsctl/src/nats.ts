import { type JetStreamClient, jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { createNames, isOpsError, type Names, sanitizeMessage } from '@ops/contracts';
import { createLedgerAdminClient, createLedgerClient, type LedgerAdminClient, type LedgerClient } from '@ops/ledger-client';
import type { Logger } from '@ops/logging';
import { connectNats, natsCredentials } from '@ops/nats';
import type { OpsctlConfig } from './config.ts';
import { CliError } from './errors.ts';

/** What `ctx.nats()` hands a command: one connection, the prefixed names, JetStream and the ledger client. */
export interface NatsHandles {
  readonly nc: NatsConnection;
  readonly names: Names;
  readonly js: JetStreamClient;
  readonly ledger: LedgerClient;
  /** the operator actions (ops.ledger.admin.*): the operator NATS user only */
  readonly admin: LedgerAdminClient;
  /** host:port list of NATS_URL without credentials, for messages */
  readonly where: string;
  /** the one-line CliError for a failed JetStream call (lost connection, refused, …), as the ledger client's */
  failure(err: unknown): CliError;
}

/** A CLI waits a few seconds at most for the first connect (docs/cli.md: clear error, no hang). */
const CONNECT_TIMEOUT_MS = 3_000;
const LEDGER_TIMEOUT_MS = 5_000;

/** host:port of every configured server; never the user or password of a nats://u:p@h URL. */
export function describeNats(servers: readonly string[]): string {
  return servers
    .map((s) => {
      try {
        const u = new URL(s);
        return `${u.hostname}:${u.port || '4222'}`;
      } catch {
        return '(invalid url)';
      }
    })
    .join(', ');
}

export async function openNats(config: Readonly<OpsctlConfig>, logger: Logger): Promise<{ handles: NatsHandles; close(): Promise<void> }> {
  const where = describeNats(config.NATS_URL);
  let nc: NatsConnection;
  try {
    nc = await connectNats({
      ...natsCredentials(config),
      servers: config.NATS_URL,
      name: 'opsctl',
      logger: quieter(logger, config.LOG_LEVEL),
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    });
  } catch (err) {
    // the server answered, and refused these credentials: not "unreachable" (a wrong password
    // sent an operator looking for a server that was up); the user may be named, never the password
    if ((err as Error)?.name === 'AuthorizationError') {
      const who = config.NATS_USER === '' ? 'no user (NATS_USER is empty)' : `user ${config.NATS_USER}`;
      throw new CliError(1, `NATS at ${where} refused ${who}: Authorization Violation — check NATS_USER and NATS_PASSWORD`, {
        cause: err,
      });
    }
    throw new CliError(1, `NATS unreachable at ${where} — start it or set NATS_URL`, { cause: err });
  }
  // connectNats reconnects forever (right for services); a CLI must not wait for a server that
  // went away: the first disconnect closes the connection, pending requests fail at once
  // (the equivalent of maxReconnectAttempts 0)
  const state = { lost: false };
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        state.lost = true;
        await nc.close().catch(() => undefined);
        return;
      }
    }
  })();
  const names = createNames(config.NATS_PREFIX);
  const fail = (err: unknown): never => {
    throw natsFailure(err, where, state.lost);
  };
  const ledger = guard(createLedgerClient(nc, names, { timeoutMs: LEDGER_TIMEOUT_MS }), fail);
  const admin = guard(createLedgerAdminClient(nc, names), fail);
  return {
    handles: {
      nc,
      names,
      js: jetstream(nc, { timeout: LEDGER_TIMEOUT_MS }),
      ledger,
      admin,
      where,
      failure: (err) => natsFailure(err, where, state.lost),
    },
    close: () => nc.close(),
  };
}

/** Every method of the client, with its rejections mapped by fail (new ledger endpoints included). */
function guard<T extends object>(client: T, fail: (err: unknown) => never): T {
  const methods = Object.entries(client).map(([name, fn]) => [
    name,
    (...args: unknown[]) => (fn as (...a: unknown[]) => Promise<unknown>)(...args).catch(fail),
  ]);
  return Object.fromEntries(methods) as T;
}

/**
 * connectNats logs every disconnect/reconnect at warn and the server's async errors (a
 * permission violation) at error — right for services; the CLI reports a lost connection and a
 * refused request itself in one line, so those go to stderr only at LOG_LEVEL debug or trace.
 */
function quieter(logger: Logger, level: OpsctlConfig['LOG_LEVEL']): Logger {
  return level === 'debug' || level === 'trace' || level === 'silent' ? logger : logger.child({}, { level: 'fatal' });
}

/**
 * One line for a failed ledger call: a lost connection, a ledger that is not
 * running, or the ledger's own error reply (bad_request → exit 2, the rest
 * exit 1), always sanitized.
 */
export function natsFailure(err: unknown, where: string, lost: boolean): CliError {
  if (err instanceof CliError) return err;
  if (lost) return new CliError(1, `lost the NATS connection to ${where} — retry once NATS is back`, { cause: err });
  if (isOpsError(err)) {
    const message = sanitizeMessage(err.message, { maxLength: 300 });
    if (err.code === 'unavailable' && /not running/.test(err.message)) {
      return new CliError(1, `${message} — start it (\`pnpm start\`) or check NATS_PREFIX`, { cause: err });
    }
    const issues = err.issues.length > 0 ? ` (${sanitizeMessage(err.issues.join('; '), { maxLength: 300 })})` : '';
    if (err.code === 'bad_request') return new CliError(2, `the ledger refused the request: ${message}${issues}`, { cause: err });
    if (err.code === 'forbidden') {
      return new CliError(1, `NATS refused the request: ${message} — operator actions need the operator user (NATS_USER=operator)`, {
        cause: err,
      });
    }
    return new CliError(1, `${message}${issues}`, { cause: err });
  }
  return new CliError(1, `NATS request failed at ${where}: ${sanitizeMessage(err, { maxLength: 300 })}`, { cause: err });
}
