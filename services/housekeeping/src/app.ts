import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createLedgerClient } from '@ops/ledger-client';
import type { Logger } from '@ops/logging';
import { openLocksBucket } from '@ops/nats';
import { type OpsHttpServer, openServiceShell } from '@ops/runtime';
import { readBus, registerBusMetrics } from './bus-metrics.ts';
import type { HousekeepingConfig } from './config.ts';
import type { ReconcileDeps } from './deps.ts';
import { LeaseObservations } from './domain/observations.ts';
import { startHousekeepingApi } from './handlers/api.ts';
import { startSchedule } from './handlers/schedule.ts';
import { createHousekeepingMetrics } from './metrics.ts';

export interface Housekeeping {
  readonly http: OpsHttpServer;
  readonly deps: ReconcileDeps;
  stopIntake(): Promise<void>;
  close(): Promise<void>;
}

/** Wires housekeeping: the shared shell without a database (NATS, awaited topology, HTTP), the schedule and the on-demand API. */
export async function startHousekeeping(options: {
  config: Readonly<HousekeepingConfig>;
  logger: Logger;
  /** tests inject faults into the ledger client */
  wrapLedger?: (ledger: ReconcileDeps['ledger']) => ReconcileDeps['ledger'];
}): Promise<Housekeeping> {
  const { config, logger } = options;
  const shell = await openServiceShell({
    name: 'housekeeping',
    config,
    logger,
    // ledger-service owns the topology (streams, locks bucket); this user may only read it
    topology: 'await',
  });
  const { nc, names, owner, registry } = shell;
  const ledger = createLedgerClient(nc, names, { timeoutMs: config.HOUSEKEEPING_LEDGER_TIMEOUT_MS });
  const deps: ReconcileDeps = {
    js: jetstream(nc),
    jsm: await jetstreamManager(nc),
    kv: await openLocksBucket(nc, names),
    names,
    ledger: options.wrapLedger ? options.wrapLedger(ledger) : ledger,
    logger: logger.child({ owner }),
    metrics: createHousekeepingMetrics(registry),
    owner,
    thresholds: {
      staleGraceMs: config.HOUSEKEEPING_STALE_GRACE_SECONDS * 1000,
      queuedAfterMs: config.HOUSEKEEPING_QUEUED_AFTER_SECONDS * 1000,
    },
    leaseStaleMs: config.HOUSEKEEPING_LEASE_STALE_MS,
    observations: new LeaseObservations(),
    now: () => new Date(),
  };
  registerBusMetrics(registry, { names, read: () => readBus(deps.jsm, names), logger });
  const api = await startHousekeepingApi(nc, deps);
  const schedule = startSchedule(deps, config.HOUSEKEEPING_CRON);
  let intake = true;
  const http = await shell.listen(() => intake);
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
    close: () => shell.close(),
  };
}
