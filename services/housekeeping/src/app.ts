import { hostname } from 'node:os';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { catalogEntry, createNames } from '@ops/contracts';
import { createLedgerClient } from '@ops/ledger-client';
import type { Logger } from '@ops/logging';
import { awaitTopology, connectNats, drainNats, type NatsConnection, natsCredentials, natsReady } from '@ops/nats';
import { createRegistry, type OpsHttpServer, startOpsHttpServer } from '@ops/runtime';
import type { HousekeepingConfig } from './config.ts';
import { startHousekeepingApi } from './handlers/api.ts';
import { startSchedule } from './handlers/schedule.ts';
import { createHousekeepingMetrics } from './metrics.ts';
import { RECONCILE_TYPE, type ReconcileDeps } from './reconcile.ts';

export interface Housekeeping {
  readonly http: OpsHttpServer;
  readonly deps: ReconcileDeps;
  stopIntake(): Promise<void>;
  close(): Promise<void>;
}

/** Wires housekeeping: NATS only (ledger API, OPS_LEDGER, OPS_JOBS, KV) — no database. */
export async function startHousekeeping(options: {
  config: Readonly<HousekeepingConfig>;
  logger: Logger;
  /** tests inject faults into the ledger client */
  wrapLedger?: (ledger: ReconcileDeps['ledger']) => ReconcileDeps['ledger'];
}): Promise<Housekeeping> {
  const { config, logger } = options;
  const names = createNames(config.NATS_PREFIX);
  const owner = `${hostname()}:${process.pid}`;
  const registry = createRegistry('housekeeping');
  const nc: NatsConnection = await connectNats({
    ...natsCredentials(config),
    servers: config.NATS_URL,
    name: `housekeeping ${owner}`,
    logger,
  });
  // ledger-service owns the topology (streams, locks bucket); this user may only read it
  await awaitTopology(nc, names, {
    onWait: (missing) => logger.warn({ stream: missing }, 'waiting for ledger-service to create the topology'),
  });
  const ledger = createLedgerClient(nc, names, { timeoutMs: config.HOUSEKEEPING_LEDGER_TIMEOUT_MS });
  const deps: ReconcileDeps = {
    js: jetstream(nc),
    kv: await new Kvm(nc).open(names.kv.locks),
    names,
    ledger: options.wrapLedger ? options.wrapLedger(ledger) : ledger,
    logger: logger.child({ owner }),
    metrics: createHousekeepingMetrics(registry),
    owner,
    thresholds: {
      staleGraceMs: config.HOUSEKEEPING_STALE_GRACE_SECONDS * 1000,
      queuedAfterMs: config.HOUSEKEEPING_QUEUED_AFTER_SECONDS * 1000,
    },
    leaseStaleMs: catalogEntry(RECONCILE_TYPE).expectedDurationSeconds * 1000,
    now: () => new Date(),
  };
  const api = await startHousekeepingApi(nc, deps);
  const schedule = startSchedule(deps, config.HOUSEKEEPING_CRON);
  let intake = true;
  const http = await startOpsHttpServer({
    port: config.HTTP_PORT,
    registry,
    readiness: { nats: () => natsReady(nc), intake: () => intake },
  });
  logger.info({ port: http.port, owner, cron: config.HOUSEKEEPING_CRON, prefix: names.prefix }, 'housekeeping ready');
  return {
    http,
    deps,
    async stopIntake() {
      if (!intake) return;
      intake = false;
      await api.stop().catch(() => undefined);
      await schedule.stop();
    },
    async close() {
      await drainNats(nc);
      await http.close();
    },
  };
}
