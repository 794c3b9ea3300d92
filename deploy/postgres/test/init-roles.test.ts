import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { dropDatabase, ensureDatabaseExists, withDatabase, withRole } from '@ops/db';
import { ROOT, runNode, testEnv } from '@ops/test-support';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * deploy/postgres/init-roles.sh (compose and the dev overlay run it on the
 * first start of PostgreSQL) against a fresh, EMPTY database: afterwards the
 * seed migrates it as ops_migrator, which is not a superuser — so in compose
 * and Kubernetes no process ever connects as one.
 */
const name = `ops_roles_${randomBytes(4).toString('hex')}`;
const adminUrl = withDatabase(testEnv.DATABASE_URL, name);

afterAll(async () => {
  await dropDatabase(testEnv.DATABASE_URL, name);
});

function initRoles(env: Record<string, string>) {
  const u = new URL(testEnv.DATABASE_URL);
  return spawnSync('sh', [join(ROOT, 'deploy/postgres/init-roles.sh')], {
    encoding: 'utf8',
    env: {
      PATH: process.env['PATH'] ?? '',
      PGHOST: u.hostname,
      PGPORT: u.port || '5432',
      POSTGRES_USER: decodeURIComponent(u.username) || 'postgres',
      ...env,
    },
  });
}

const passwords = {
  OPS_MIGRATOR_DB_PASSWORD: 'migrator-pw',
  OPS_LEDGER_DB_PASSWORD: 'ledger-pw',
  OPS_WORKER_DB_PASSWORD: 'worker-pw',
  OPS_CLI_DB_PASSWORD: 'cli-pw',
};

describe('deploy/postgres/init-roles.sh', () => {
  it('refuses to run without every password', () => {
    const r = initRoles({ POSTGRES_DB: name, ...passwords, OPS_WORKER_DB_PASSWORD: '' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('OPS_WORKER_DB_PASSWORD is required');
  });

  it('prepares an empty database so the seed migrates it as ops_migrator, a non-superuser owner', async () => {
    expect(await ensureDatabaseExists(adminUrl)).toBe(true);
    const first = initRoles({ POSTGRES_DB: name, ...passwords });
    expect(first.status, first.stderr).toBe(0);
    // idempotent: re-running only resets the passwords
    const again = initRoles({ POSTGRES_DB: name, ...passwords });
    expect(again.status, again.stderr).toBe(0);

    const seeded = await runNode('services/ledger-service/src/seed/main.ts', ['--json'], {
      DATABASE_URL: withRole(adminUrl, 'ops_migrator'),
      SEED_TENANTS: '2',
      LOG_LEVEL: 'warn',
    });
    expect(seeded.code, seeded.stderr).toBe(0);

    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      const roles = await admin.query<{ rolname: string; rolsuper: boolean; rolcreaterole: boolean; rolcanlogin: boolean }>(
        `SELECT rolname, rolsuper, rolcreaterole, rolcanlogin FROM pg_roles WHERE rolname IN ('ops_migrator','ops_ledger','ops_worker','ops_cli') ORDER BY rolname`,
      );
      expect(roles.rows).toEqual([
        { rolname: 'ops_cli', rolsuper: false, rolcreaterole: false, rolcanlogin: true },
        { rolname: 'ops_ledger', rolsuper: false, rolcreaterole: false, rolcanlogin: true },
        { rolname: 'ops_migrator', rolsuper: false, rolcreaterole: true, rolcanlogin: true },
        { rolname: 'ops_worker', rolsuper: false, rolcreaterole: false, rolcanlogin: true },
      ]);
      const owners = await admin.query<{ tableowner: string }>(`SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'`);
      expect(owners.rows).toEqual([{ tableowner: 'ops_migrator' }]);
      const dbOwner = await admin.query<{ owner: string }>(`SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1`, [
        name,
      ]);
      expect(dbOwner.rows[0]!.owner).toBe('ops_migrator');
    } finally {
      await admin.end();
    }
    // the service roles got their grants from the migration run by the non-superuser
    const cli = new pg.Client({ connectionString: withRole(adminUrl, 'ops_cli') });
    await cli.connect();
    try {
      expect((await cli.query('SELECT count(*)::int AS n FROM tenants')).rows[0]).toEqual({ n: 2 });
      await expect(cli.query('SELECT * FROM operation_runs')).rejects.toMatchObject({ code: '42501' });
    } finally {
      await cli.end();
    }
  });
});
