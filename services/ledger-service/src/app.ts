import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Service } from '@nats-io/services';
import { LONGEST_COOLDOWN_SECONDS, sanitizeMessage } from '@ops/contracts';
import type { Orm } from '@ops/db';
import type { Logger } from '@ops/logging';
import { type BatchConsumer, ledgerCaughtUp, type NatsConnection, openLocksBucket, withLeanRequests } from '@ops/nats';
import { type OpsHttpServer, openServiceShell, type Registry } from '@ops/runtime';
import type { LedgerConfig } from './config.ts';
import { type Clock, systemClock } from './domain/clock.ts';
import { addLedgerAdmin } from './handlers/admin.ts';
import { startLedgerApi } from './handlers/api.ts';
import { createEnsureBatcher } from './handlers/ensure-batcher.ts';
import { createJobSeqRecorder } from './handlers/job-seqs.ts';
import { publishRunJob, republishRunJob } from './handlers/jobs.ts';
import { startLedgerEventsConsumer } from './handlers/ledger-events.ts';
import { createLedgerMetrics } from './metrics.ts';
import { createActionsRepository } from './repositories/actions-repository.ts';
import { type RunRow, toRunView } from './repositories/run-view.ts';
import { createRunsRepository } from './repositories/runs-repository.ts';

/** ensure_run's group commit: at most this many requests per statement, this many statements at once */
const ENSURE_BATCH_MAX = 64;
const ENSURE_BATCHES_AT_ONCE = 2;
/**
 * How long a job publish waits for JetStream's ack: well inside a caller's
 * 5 s request timeout, so when JetStream cannot store (no stream leader, no
 * quorum: two of three nodes down) the caller hears "created, job not stored"
 * from the ledger instead of its own timeout (issue #19, cluster-two-down).
 */
const JOB_PUBLISH_TIMEOUT_MS = 2_500;

export interface LedgerService {
  readonly nc: NatsConnection;
  readonly orm: Orm;
  readonly http: OpsHttpServer;
  readonly registry: Registry;
  /** stop pulling events and answering requests (shutdown step 1) */
  stopIntake(): Promise<void>;
  /** drain NATS, close the ORM and the HTTP server (after stopIntake) */
  close(): Promise<void>;
}

export interface LedgerServiceOptions {
  readonly config: Readonly<LedgerConfig>;
  readonly logger: Logger;
  readonly clock?: Clock;
}

/** Wires the ledger: the shared shell (ORM, NATS, the topology it owns, HTTP), the API micro service, the event consumer. */
export async function startLedgerService(options: LedgerServiceOptions): Promise<LedgerService> {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const shell = await openServiceShell({
    name: 'ledger-service',
    config,
    logger,
    database: { url: config.DATABASE_URL, poolMax: config.DB_POOL_MAX },
    topology: { own: { replicas: config.NATS_REPLICAS, locksTtlMs: config.LOCKS_TTL_SECONDS * 1000 } },
  });
  const { nc, names, registry, orm } = shell;
  warnAboutLocksTtl(logger, config.LOCKS_TTL_SECONDS, shell.locksTtlMs ?? config.LOCKS_TTL_SECONDS * 1000);
  const metrics = createLedgerMetrics(registry);
  const jsm = await jetstreamManager(nc);
  const repo = createRunsRepository(orm.em, { onReread: (rows) => metrics.eventRereads.inc(rows) });
  // job publishes without nats.js's Error per request
  const js = jetstream(withLeanRequests(nc), { timeout: JOB_PUBLISH_TIMEOUT_MS });
  const actions = createActionsRepository(orm.em);
  const publishJob = (row: RunRow, generation: number) => publishRunJob(js, names, toRunView(row), generation);
  // the sequences a cancel deletes a queued run's job by: recorded after the callers were answered, batched
  const jobSeqs = createJobSeqRecorder({ write: (jobs) => actions.recordJobSeqs(jobs), logger, intervalMs: 250, max: 512 });
  const republishJob = async (row: RunRow, generation: number) => {
    const stored = await republishRunJob(js, jsm, names, toRunView(row), generation);
    if (stored.seq !== null) jobSeqs.add([{ id: row.id, seq: stored.seq }]);
    return stored.result;
  };
  const ensurer = createEnsureBatcher({
    repo,
    now: () => clock.now(),
    publishJob,
    // an instant look, no waiting: a caller retrying a dispatch should not be held
    eventsCaughtUp: async () => (await ledgerCaughtUp(jsm, names, { timeoutMs: 0 })).caughtUp,
    logger,
    maxBatch: ENSURE_BATCH_MAX,
    maxConcurrent: ENSURE_BATCHES_AT_ONCE,
    onBatch: (size) => metrics.ensureBatchSize.observe(size),
    onStored: (jobs) => jobSeqs.add(jobs),
  });

  const api: Service = await startLedgerApi({
    nc,
    names,
    repo,
    clock,
    logger,
    metrics,
    maxRequestBytes: config.LEDGER_MAX_REQUEST_BYTES,
    admission: { maxInFlight: config.LEDGER_API_MAX_IN_FLIGHT, maxQueued: config.LEDGER_API_MAX_QUEUED },
    // replies stay well inside what the server accepts (its max_payload, 1 MiB by default)
    maxReplyBytes: () => Math.floor(0.9 * (nc.info?.max_payload ?? 1024 * 1024)),
    ensurer,
    republishJob,
  });
  addLedgerAdmin(api, {
    names,
    js,
    jsm,
    locks: await openLocksBucket(nc, names),
    repo,
    actions,
    jobSeqs,
    ensurer,
    clock,
    logger,
    metrics,
    maxRequestBytes: config.LEDGER_MAX_REQUEST_BYTES,
    leaseStaleMs: config.LEDGER_LEASE_STALE_MS,
    leasePollMs: Math.min(1_000, Math.max(50, Math.floor(config.LEDGER_LEASE_STALE_MS / 10))),
  });
  const events: BatchConsumer = await startLedgerEventsConsumer({
    nc,
    jsm,
    names,
    repo,
    clock,
    logger,
    metrics,
    batchMax: config.LEDGER_BATCH_MAX,
    batchWaitMs: config.LEDGER_BATCH_WAIT_MS,
    maxEventBytes: config.LEDGER_MAX_EVENT_BYTES,
  });
  let intake = true;
  const http = await shell.listen(() => intake);
  logger.info({ port: http.port, prefix: names.prefix }, 'ledger-service ready');

  return {
    nc,
    orm,
    http,
    registry,
    async stopIntake() {
      if (!intake) return;
      intake = false;
      await api.stop().catch((err: unknown) => logger.warn({ err: sanitizeMessage(err) }, 'micro service stop failed'));
      await events.stop();
      await jobSeqs.flush();
    },
    close: () => shell.close(),
  };
}

/**
 * The locks bucket's TTL is the execution-side cooldown: a completion marker
 * lives that long. It should be the catalog's longest cooldown (the ledger's
 * window, FR-005a); an override (tests) and a bucket created earlier with
 * another TTL (it is not changed at start) are both worth an operator's look.
 */
function warnAboutLocksTtl(logger: Logger, configuredSeconds: number, bucketTtlMs: number): void {
  if (configuredSeconds !== LONGEST_COOLDOWN_SECONDS) {
    logger.warn(
      { configuredSeconds, cooldownSeconds: LONGEST_COOLDOWN_SECONDS },
      "LOCKS_TTL_SECONDS differs from the longest cooldown: completion markers do not live as long as the ledger's cooldown",
    );
  }
  if (bucketTtlMs !== configuredSeconds * 1000) {
    logger.warn(
      { bucketTtlSeconds: bucketTtlMs / 1000, configuredSeconds },
      'the existing ops_locks bucket has another TTL than LOCKS_TTL_SECONDS; it is kept (recreate the bucket to change it)',
    );
  }
}
