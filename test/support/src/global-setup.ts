import { connect } from '@nats-io/transport-node';
import { createOrm, dropDatabase, migrate, withDatabase } from '@ops/db';
import { isSupportedNatsServer } from '@ops/nats';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { testEnv } from './env.ts';
import { natsServerBinary } from './nats-binary.ts';
import { startNatsServer } from './nats-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** a migrated database every test file clones (CREATE DATABASE … TEMPLATE) */
    templateDb: string;
    /** unique per `vitest run`: prefixes the databases and NATS names it creates */
    runId: string;
    /** the version the NATS server of this run reports (its INFO) */
    natsServerVersion: string;
  }
}

/**
 * Once per run: the NATS server — the one NATS_URL names, or else a
 * nats-server of the run's own (the project's 2.10, free port, temp store),
 * put into NATS_URL for every test process; check that PostgreSQL and NATS
 * answer and that NATS is at least 2.10 (a clear message if not); migrate a
 * template database; afterwards drop every database this run created and stop
 * the own server.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  // resolved once here; the test processes (forked after this) inherit both keys
  process.env['NATS_SERVER_BIN'] = natsServerBinary();
  const ownNats = process.env['NATS_URL'] ? undefined : await startNatsServer();
  if (ownNats) process.env['NATS_URL'] = ownNats.url;
  const natsUrl = process.env['NATS_URL'] ?? '';
  const admin = testEnv.DATABASE_URL;
  const pgClient = new pg.Client({ connectionString: withDatabase(admin, 'postgres'), connectionTimeoutMillis: 5_000 });
  try {
    await pgClient.connect();
  } catch (err) {
    throw new Error(`tests need PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432): ${(err as Error).message}`);
  }
  let natsServerVersion: string;
  try {
    const nc = await connect({ servers: natsUrl.split(','), timeout: 5_000 });
    natsServerVersion = nc.info?.version ?? 'unknown';
    await nc.close();
  } catch (err) {
    await pgClient.end();
    await ownNats?.stop();
    throw new Error(`tests need NATS with JetStream (NATS_URL ${natsUrl}): ${(err as Error).message}`);
  }
  if (!isSupportedNatsServer(natsServerVersion)) {
    await pgClient.end();
    await ownNats?.stop();
    throw new Error(
      `tests need nats-server 2.10 or newer; NATS_URL ${natsUrl} is ${natsServerVersion} (unset NATS_URL: the run starts its own)`,
    );
  }
  process.stderr.write(`tests: nats-server ${natsServerVersion} at ${natsUrl}${ownNats ? ' (own, this run)' : ''}\n`);

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
  project.provide('natsServerVersion', natsServerVersion);

  return async () => {
    const res = await pgClient.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = $2`, [
      `ops_t_${runId}_%`,
      templateDb,
    ]);
    for (const { datname } of res.rows) await dropDatabase(admin, datname);
    await pgClient.end();
    await ownNats?.stop();
  };
}
