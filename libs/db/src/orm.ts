import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { ENTITIES } from './entities.ts';
import { MIGRATIONS } from './migrations/index.ts';

export type Orm = MikroORM;

interface OrmOptions {
  readonly url: string;
  /** connection pool size */
  readonly poolMax?: number;
  /** application_name shown in pg_stat_activity */
  readonly applicationName?: string;
  /** statement timeout (ms) for every query of this pool */
  readonly statementTimeoutMs?: number;
}

/**
 * One ORM per process. Migrations are listed explicitly and no snapshot
 * files are written: images run from a read-only filesystem.
 */
export async function createOrm(options: OrmOptions): Promise<Orm> {
  return MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: options.url,
    entities: ENTITIES,
    extensions: [Migrator],
    ensureDatabase: false,
    allowGlobalContext: false,
    debug: false,
    pool: { min: 0, max: options.poolMax ?? 10 },
    driverOptions: {
      application_name: options.applicationName ?? 'ops',
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      connectionTimeoutMillis: 5_000,
    },
    migrations: {
      migrationsList: MIGRATIONS,
      snapshot: false,
      snapshotOnMigrate: false,
      transactional: true,
      allOrNothing: true,
      silent: true,
      tableName: 'mikro_orm_migrations',
    },
  });
}

/** Applies pending migrations; returns the names applied. */
export async function migrate(orm: Orm): Promise<string[]> {
  const applied = await orm.migrator.up();
  return applied.map((m) => m.name);
}

/** SELECT 1 within a deadline (readiness). */
export async function pingDb(orm: Orm, timeoutMs = 2_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const query = orm.em.getConnection().execute('SELECT 1');
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('db ping timeout')), timeoutMs);
    });
    await Promise.race([query, timeout]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
