import type { NatsConnection } from '@nats-io/nats-core';
import type { Names } from '@ops/contracts';
import { DB_ROLES } from '@ops/db';
import { createLedgerClient, type LedgerClient } from '@ops/ledger-client';
import { type LedgerService, startLedgerService } from '@ops/ledger-service/app';
import { ledgerConfigSchema } from '@ops/ledger-service/config';
import { type SeedReport, seedData } from '@ops/ledger-service/seed-data';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase, withOrm } from './db.ts';
import { testEnv } from './env.ts';
import { captureLogger, shiftableClock } from './logger.ts';
import { cleanupNats, connectTestNats, uniqueNames } from './nats.ts';

export interface LedgerHarness {
  db: TestDatabase;
  names: Names;
  nc: NatsConnection;
  client: LedgerClient;
  service: LedgerService;
  /** another in-process ledger-service with the harness's configuration (tests that stop and restart it) */
  startService(): Promise<LedgerService>;
  clock: ReturnType<typeof shiftableClock>;
  logLines: string[];
  seed: SeedReport;
  /** a query as the database owner (tests look at tables no service role may read, change grants and constraints) */
  sql<T>(text: string, params?: unknown[]): Promise<T[]>;
}

/**
 * Per test file: its own database (seeded: 2 tenants × 3 policies, plus a
 * second workspace for isolation tests), its own NATS prefix, an in-process
 * ledger-service connected as the ledger's role, with a fake clock.
 */
export interface HarnessOptions {
  /** seeded in the 'default' workspace (another workspace 'other' always has 1 × 1) */
  readonly tenants?: number;
  readonly policiesPerTenant?: number;
}

export function useLedgerHarness(overrides: Record<string, string> = {}, options: HarnessOptions = {}): LedgerHarness {
  const h = {} as LedgerHarness;
  beforeAll(async () => {
    h.db = await createTestDatabase();
    h.names = uniqueNames();
    h.clock = shiftableClock();
    h.seed = await withOrm(h.db.url, async (orm) => {
      await seedData(orm, { workspaceSlug: 'other', tenants: 1, policiesPerTenant: 1 });
      return seedData(orm, { workspaceSlug: 'default', tenants: options.tenants ?? 2, policiesPerTenant: options.policiesPerTenant ?? 3 });
    });
    const { logger, lines } = captureLogger('ledger-service');
    h.logLines = lines;
    const config = ledgerConfigSchema.parse({
      NATS_URL: testEnv.NATS_URL.join(','),
      DATABASE_URL: h.db.urlAs(DB_ROLES.ledger),
      NATS_PREFIX: h.names.prefix,
      HTTP_PORT: '0',
      ...overrides,
    });
    h.sql = async <T>(text: string, params: unknown[] = []) => {
      const client = new pg.Client({ connectionString: h.db.url });
      await client.connect();
      try {
        return (await client.query(text, params)).rows as T[];
      } finally {
        await client.end();
      }
    };
    h.startService = () => startLedgerService({ config, logger, clock: h.clock });
    h.service = await h.startService();
    h.nc = await connectTestNats();
    h.client = createLedgerClient(h.nc, h.names);
  });
  afterAll(async () => {
    await h.service?.stopIntake();
    await h.service?.close();
    if (h.nc) await cleanupNats(h.nc, h.names);
    await h.db?.drop();
  });
  return h;
}
