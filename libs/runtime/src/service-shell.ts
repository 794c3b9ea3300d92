import { hostname } from 'node:os';
import { createNames, type Names } from '@ops/contracts';
import type { Orm } from '@ops/db';
import { createPool, type Pool, pingPool } from '@ops/db/pg';
import type { Logger } from '@ops/logging';
import {
  assertSupportedNatsServer,
  awaitTopology,
  connectNats,
  drainNats,
  ensureTopology,
  type NatsConnection,
  natsCredentials,
  natsReady,
} from '@ops/nats';
import { type OpsHttpServer, startOpsHttpServer } from './http-server.ts';
import { createRegistry, type Registry } from './metrics.ts';

/** The keys every service shell reads (the shared keys, plus the service's HTTP port). */
interface ShellConfig {
  readonly NATS_URL: readonly string[];
  readonly NATS_PREFIX: string;
  readonly NATS_USER: string;
  readonly NATS_PASSWORD: string;
  readonly HTTP_PORT: number;
}

export interface ShellOptions {
  readonly name: string;
  readonly config: ShellConfig;
  readonly logger: Logger;
  /** the service's own PostgreSQL role (its URL), through the ORM — absent for a service without a database */
  readonly database?: { readonly url: string; readonly poolMax: number };
  /** the service's own PostgreSQL role, as a plain pg pool: for a service with a few statements of its own (MikroORM is not loaded) */
  readonly pool?: { readonly url: string; readonly poolMax: number };
  /**
   * `own`: this service creates and updates the streams and the locks bucket
   * (ledger-service); `await`: it waits until they exist — its NATS user may
   * only read them (docs/security.md).
   */
  readonly topology: { readonly own: { readonly replicas: number; readonly locksTtlMs: number } } | 'await';
}

export interface ServiceShell<O extends Orm | null = Orm | null> {
  readonly names: Names;
  readonly nc: NatsConnection;
  /** null for a service without a database, or with a plain pool */
  readonly orm: O;
  /** the plain pg pool when the service asked for one (`pool`), else null */
  readonly pool: Pool | null;
  readonly registry: Registry;
  /** `<host>:<pid>`: who holds a lease, who published an event */
  readonly owner: string;
  /** the locks bucket's real TTL when this service owns the topology (an existing bucket keeps its own) */
  readonly locksTtlMs: number | null;
  /**
   * Serves /healthz, /readyz (NATS, the database if any, and `intake`) and
   * /metrics — call once the service's intake is wired.
   */
  listen(intake: () => boolean): Promise<OpsHttpServer>;
  /** drain NATS, close the ORM and the HTTP server — after the service stopped its intake */
  close(): Promise<void>;
}

/**
 * The wiring the three services share, in order: the ORM or a plain pool
 * (when the service has a database), NATS as this service's user (a server older than 2.10 is
 * refused with a clear message), the topology (owned or
 * awaited), the metrics registry, and — once the service says so — the HTTP
 * probes. Whatever was opened is closed again if a later step fails, so a
 * start that fails leaves no connection behind.
 */
export async function openServiceShell(
  options: ShellOptions & { database: NonNullable<ShellOptions['database']> },
): Promise<ServiceShell<Orm>>;
export async function openServiceShell(options: ShellOptions & { database?: undefined }): Promise<ServiceShell<null>>;
export async function openServiceShell(options: ShellOptions): Promise<ServiceShell> {
  const { config, logger, name } = options;
  const names = createNames(config.NATS_PREFIX);
  const owner = `${hostname()}:${process.pid}`;
  const opened: Array<() => Promise<void>> = [];
  const closeOpened = async () => {
    for (const close of opened.reverse()) await close().catch((err: unknown) => logger.warn({ err }, 'close after a failed start failed'));
  };
  try {
    // MikroORM is loaded only by a service that uses it (~28 MB of RSS more than pg alone)
    const db = options.database ? await import('@ops/db') : null;
    const orm =
      options.database && db
        ? await db.createOrm({ url: options.database.url, poolMax: options.database.poolMax, applicationName: name })
        : null;
    if (orm) opened.push(() => orm.close());
    const pool = options.pool
      ? createPool({
          url: options.pool.url,
          poolMax: options.pool.poolMax,
          applicationName: name,
          onIdleError: (err) => logger.warn({ err }, 'an idle database connection failed; the pool opens another when needed'),
        })
      : null;
    if (pool) opened.push(() => pool.end());
    const nc = await connectNats({ ...natsCredentials(config), servers: config.NATS_URL, name: `${name} ${owner}`, logger });
    opened.push(() => drainNats(nc));
    assertSupportedNatsServer(nc);
    let locksTtlMs: number | null = null;
    if (options.topology === 'await') {
      await awaitTopology(nc, names, {
        onWait: (missing) => logger.warn({ stream: missing }, 'waiting for ledger-service to create the topology'),
      });
    } else {
      ({ locksTtlMs } = await ensureTopology(nc, names, options.topology.own));
    }
    const registry = createRegistry(name);
    let http: OpsHttpServer | null = null;
    return {
      names,
      nc,
      orm,
      pool,
      registry,
      owner,
      locksTtlMs,
      async listen(intake) {
        const readiness: Record<string, () => Promise<boolean> | boolean> = { nats: () => natsReady(nc) };
        if (orm && db) readiness['database'] = () => db.pingDb(orm);
        if (pool) readiness['database'] = () => pingPool(pool);
        readiness['intake'] = intake;
        http = await startOpsHttpServer({ port: config.HTTP_PORT, registry, readiness });
        return http;
      },
      async close() {
        await drainNats(nc).catch((err: unknown) => logger.warn({ err }, 'nats drain failed'));
        await orm?.close();
        await pool?.end();
        await http?.close();
      },
    };
  } catch (err) {
    await closeOpened();
    throw err;
  }
}
