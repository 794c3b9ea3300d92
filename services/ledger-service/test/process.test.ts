import { connect } from '@nats-io/transport-node';
import { LEDGER_ADMIN_ENDPOINTS, LEDGER_API_ENDPOINTS } from '@ops/contracts';
import { DB_ROLES } from '@ops/db';
import {
  cleanupNats,
  connectTestNats,
  createTestDatabase,
  type ServiceProcess,
  startService,
  type TestDatabase,
  testEnv,
  uniqueNames,
} from '@ops/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** ledger-service as operators run it: its own process, its own DB role, HTTP probes, SIGTERM. */
const MAIN = 'services/ledger-service/src/main.ts';
const names = uniqueNames();
let db: TestDatabase;
let svc: ServiceProcess;
let port: number;

beforeAll(async () => {
  db = await createTestDatabase();
  svc = startService(MAIN, {
    NATS_URL: testEnv.NATS_URL.join(','),
    DATABASE_URL: db.urlAs(DB_ROLES.ledger),
    NATS_PREFIX: names.prefix,
    HTTP_PORT: '0',
  });
  await svc.waitForOutput(/ledger-service ready/);
  port = Number(/"port":(\d+)/.exec(svc.output())![1]);
});

afterAll(async () => {
  await svc?.stop('SIGKILL');
  await cleanupNats(await connectTestNats(), names);
  await db?.drop();
});

describe('ledger-service process', () => {
  it('serves /healthz, /readyz (NATS + DB) and /metrics', async () => {
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { nats: true, database: true, intake: true } });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('ops_ledger_api_requests_total');
    expect(metrics).toContain('process_resident_memory_bytes');
  });

  it('is discoverable as a NATS micro service with its endpoints', async () => {
    const nc = await connect({ servers: testEnv.NATS_URL });
    try {
      const info = (await nc.request(`$SRV.INFO.${names.services.ledger}`, '', { timeout: 3_000 })).json<{
        name: string;
        endpoints: Array<{ name: string; subject: string }>;
      }>();
      expect(info.name).toBe(names.services.ledger);
      expect(info.endpoints.map((e) => e.subject).sort()).toEqual(
        [
          ...LEDGER_ADMIN_ENDPOINTS.map((e) => `${names.prefix}.ops.ledger.admin.${e}`),
          ...LEDGER_API_ENDPOINTS.map((e) => `${names.prefix}.ops.ledger.api.${e}`),
        ].sort(),
      );
      // the lists are the contract's: spelled out once more here, so a renamed endpoint is noticed
      expect([...LEDGER_API_ENDPOINTS].sort()).toEqual([
        'ensure_run',
        'get_run',
        'get_run_timeline',
        'list_active_runs',
        'list_runs',
        'list_workspaces',
        'record_duplicate',
        'republish_job',
      ]);
      expect([...LEDGER_ADMIN_ENDPOINTS].sort()).toEqual([
        'cancel_run',
        'purge_dead_letter',
        'redrive_dead_letter',
        'release_lock',
        'rerun_run',
      ]);
    } finally {
      await nc.close();
    }
  });

  it('refuses to start with bad configuration, naming every bad key', async () => {
    const bad = startService(MAIN, {
      NATS_URL: 'http://nope',
      HTTP_PORT: '-5',
      LEDGER_BATCH_MAX: 'lots',
      DATABASE_URL: 'mysql://u:secretpw@h/db',
    });
    const code = await bad.exited;
    expect(code).toBe(1);
    for (const key of ['NATS_URL', 'HTTP_PORT', 'LEDGER_BATCH_MAX', 'DATABASE_URL']) expect(bad.output()).toContain(key);
    expect(bad.output()).not.toContain('secretpw');
  });

  it('shuts down gracefully on SIGTERM (exit 0, shutdown logged)', async () => {
    const code = await svc.stop('SIGTERM');
    expect(code).toBe(0);
    expect(svc.output()).toContain('shutdown complete');
  });
});
