import { DB_ROLES } from '@ops/db';
import { type SeedReport, seedData } from '@ops/ledger-service/seed-data';
import { createTestDatabase, opsctl, type TestDatabase, withOrm } from '@ops/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TIMEOUT, UUID_V4 } from './support.ts';

const SEED = { workspaceSlug: 'default', tenants: 4, policiesPerTenant: 2 };

let db: TestDatabase;
let seed: SeedReport;
let env: Record<string, string>;

beforeAll(async () => {
  db = await createTestDatabase();
  seed = await withOrm(db.url, (orm) => seedData(orm, SEED));
  // the CLI's own least-privilege role: proves its SELECT grants suffice
  env = { DATABASE_URL: db.urlAs(DB_ROLES.cli) };
});

afterAll(async () => {
  await db?.drop();
});

describe('opsctl tenants list', () => {
  it(
    '--json prints exactly one document with the documented fields and the seeded rows',
    async () => {
      const r = await opsctl(['tenants', 'list', '--json'], env);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout) as { workspaces: Array<Record<string, unknown>> };
      expect(Object.keys(doc)).toEqual(['workspaces']);
      expect(doc.workspaces).toHaveLength(1);
      const [workspace] = doc.workspaces as Array<{ id: string; name: string; tenants: Array<Record<string, unknown>> }>;
      expect(Object.keys(workspace!).sort()).toEqual(['id', 'name', 'tenants']);
      expect(workspace!.id).toBe(seed.workspace.id);
      expect(workspace!.name).toBe(seed.workspace.name);

      const tenants = workspace!.tenants as Array<{
        id: string;
        external_id: string;
        name: string;
        policies: Array<Record<string, unknown>>;
      }>;
      expect(tenants).toHaveLength(SEED.tenants);
      // ordered by name
      expect(tenants.map((t) => t.name)).toEqual(seed.tenants.map((t) => t.name).sort());
      for (const t of tenants) {
        expect(Object.keys(t).sort()).toEqual(['external_id', 'id', 'name', 'policies']);
        expect(t.external_id).toMatch(UUID_V4);
        const seeded = seed.tenants.find((s) => s.id === t.id);
        expect(seeded?.external_id).toBe(t.external_id);
        expect(t.policies).toHaveLength(SEED.policiesPerTenant);
        for (const p of t.policies) {
          expect(Object.keys(p).sort()).toEqual(['external_id', 'id', 'name']);
          expect(p['id']).toMatch(UUID_V4);
        }
      }
    },
    TIMEOUT,
  );

  it(
    'the table names every tenant with its ids',
    async () => {
      const r = await opsctl(['tenants', 'list'], env);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(seed.workspace.name);
      for (const t of seed.tenants) {
        expect(r.stdout).toContain(t.name);
        expect(r.stdout).toContain(t.id);
        expect(r.stdout).toContain(t.external_id);
      }
      expect(r.stdout).toContain(`1 workspace, ${SEED.tenants} tenants, ${SEED.tenants * SEED.policiesPerTenant} policies`);
    },
    TIMEOUT,
  );

  it(
    'PostgreSQL unreachable → exit 1 within seconds, one clear line, no URL or password',
    async () => {
      const r = await opsctl(['tenants', 'list', '--json'], { DATABASE_URL: 'postgres://postgres:hunter2@127.0.0.1:1/ops' });
      expect(r.code).toBe(1);
      expect(r.ms).toBeLessThan(10_000);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('opsctl: PostgreSQL unreachable at 127.0.0.1:1/ops — start it or set DATABASE_URL\n');
      expect(r.stderr).not.toContain('postgres://');
      expect(r.stderr).not.toContain('hunter2');
    },
    TIMEOUT,
  );
});

describe('opsctl arguments', () => {
  it(
    '--help and no arguments print the command list and exit 0',
    async () => {
      for (const args of [['--help'], ['-h'], []]) {
        const r = await opsctl(args, env);
        expect(r.code).toBe(0);
        expect(r.stderr).toBe('');
        expect(r.stdout).toContain('tenants list');
      }
      const one = await opsctl(['tenants', 'list', '--help'], env);
      expect(one.code).toBe(0);
      expect(one.stdout).toContain('usage: opsctl tenants list');
    },
    TIMEOUT,
  );

  it(
    'an unknown command exits 2 naming it and listing the valid commands',
    async () => {
      const r = await opsctl(['frobnicate', '--json'], env);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const [message, usage] = r.stderr.trimEnd().split('\n');
      expect(message).toMatch(/^opsctl: unknown command 'frobnicate' — valid commands: .*tenants list/);
      expect(usage).toMatch(/^usage: opsctl /);
    },
    TIMEOUT,
  );

  it(
    'an unknown option or an extra argument exits 2 with the usage line',
    async () => {
      const r = await opsctl(['tenants', 'list', '--bogus'], env);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe("opsctl: unknown option '--bogus'\nusage: opsctl tenants list [--json]\n");
      const extra = await opsctl(['tenants', 'list', 'extra'], env);
      expect(extra.code).toBe(2);
      expect(extra.stderr).toContain("unexpected argument 'extra'");
    },
    TIMEOUT,
  );

  it(
    'a bad configuration value exits 2 naming the key, not its value',
    async () => {
      const r = await opsctl(['tenants', 'list'], { DATABASE_URL: 'mysql://root:hunter2@db/ops' });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('DATABASE_URL');
      expect(r.stderr).not.toContain('hunter2');
    },
    TIMEOUT,
  );
});
