import { connect } from '@nats-io/transport-node';
import { createOrm, dropDatabase, migrate, withDatabase } from '@ops/db';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { testEnv } from './env.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** a migrated database every test file clones (CREATE DATABASE … TEMPLATE) */
    templateDb: string;
    /** unique per `vitest run`: prefixes the databases and NATS names it creates */
    runId: string;
  }
}

/**
 * Once per run: check that PostgreSQL and NATS answer (a clear message if
 * not), migrate a template database, and afterwards drop every database this
 * run created.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const admin = testEnv.DATABASE_URL;
  const pgClient = new pg.Client({ connectionString: withDatabase(admin, 'postgres'), connectionTimeoutMillis: 5_000 });
  try {
    await pgClient.connect();
  } catch (err) {
    throw new Error(`tests need PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432): ${(err as Error).message}`);
  }
  try {
    const nc = await connect({ servers: testEnv.NATS_URL, timeout: 5_000 });
    await nc.close();
  } catch (err) {
    await pgClient.end();
    throw new Error(`tests need NATS with JetStream (NATS_URL, default nats://127.0.0.1:4222): ${(err as Error).message}`);
  }

  const templateDb = `ops_tpl_${runId}`;
  await pgClient.query(`CREATE DATABASE ${templateDb}`);
  const orm = await createOrm({ url: withDatabase(admin, templateDb), poolMax: 1 });
  try {
    await migrate(orm);
  } finally {
    await orm.close();
  }
  project.provide('templateDb', templateDb);
  project.provide('runId', runId);

  return async () => {
    const res = await pgClient.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = $2`, [
      `ops_t_${runId}_%`,
      templateDb,
    ]);
    for (const { datname } of res.rows) await dropDatabase(admin, datname);
    await pgClient.end();
  };
}
