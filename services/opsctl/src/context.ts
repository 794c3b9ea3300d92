import { createOrm, type Orm } from '@ops/db';
import { createServiceLogger, type Logger } from '@ops/logging';
import type { OpsctlConfig } from './config.ts';
import { CliError, databaseError } from './errors.ts';
import { type NatsHandles, openNats } from './nats.ts';

export type EntityManager = Orm['em'];

/**
 * What a command gets: the configuration, the output mode and lazily opened
 * connections. A command opens only what it uses (tenants list never
 * touches NATS); the framework closes everything after run(), success or not.
 */
export interface Context {
  readonly config: Readonly<OpsctlConfig>;
  /** --json: stdout carries exactly one JSON document, so commands never print themselves */
  readonly json: boolean;
  /** pino on stderr, never stdout (stdout is the command's output) */
  readonly logger: Logger;
  /** runs fn with a fresh EntityManager; driver failures become one-line CliErrors */
  db<T>(fn: (em: EntityManager) => Promise<T>): Promise<T>;
  /**
   * The NATS connection, opened on first use (NATS_URL, NATS_PREFIX): JetStream and the
   * ledger client ride on it. Unreachable → a one-line CliError within seconds.
   */
  nats(): Promise<NatsHandles>;
}

export interface OpenContext extends Context {
  close(): Promise<void>;
}

export function openContext(config: Readonly<OpsctlConfig>, globals: { json: boolean }): OpenContext {
  let orm: Orm | undefined;
  let logger: Logger | undefined;
  let nats: Promise<NatsHandles> | undefined;
  // closers run in reverse opening order (later resources, e.g. NATS, may depend on earlier ones)
  const closers: Array<() => Promise<void>> = [];
  const getLogger = (): Logger => {
    logger ??= createServiceLogger('opsctl', { level: config.LOG_LEVEL, destination: process.stderr });
    return logger;
  };

  return {
    config,
    json: globals.json,
    get logger() {
      return getLogger();
    },
    async db(fn) {
      try {
        if (!orm) {
          // one connection is plenty for a CLI; createOrm does not connect until the first query
          const opened = await createOrm({ url: config.DATABASE_URL, poolMax: 1, applicationName: 'opsctl' });
          orm = opened;
          closers.push(() => opened.close());
        }
        return await fn(orm.em.fork());
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw databaseError(err, config.DATABASE_URL);
      }
    },
    nats() {
      nats ??= openNats(config, getLogger()).then(({ handles, close }) => {
        closers.push(close);
        return handles;
      });
      return nats;
    },
    async close() {
      for (const close of closers.reverse()) {
        // a failing close must not hide the command's result or its real error
        await close().catch(() => undefined);
      }
      closers.length = 0;
    },
  };
}
