import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { createHttpGraphClient, type GraphClient } from '@ops/graph';
import { createLedgerClient } from '@ops/ledger-client';
import type { Logger } from '@ops/logging';
import { ensureDurableConsumer, ledgerCaughtUp, natsConnected, natsCredentials, openLocksBucket, withLeanRequests } from '@ops/nats';
import { type OpsHttpServer, openServiceShell } from '@ops/runtime';
import type { WorkerConfig } from './config.ts';
import { type JobsConsumer, startJobsConsumer } from './handlers/jobs-consumer.ts';
import { processJob } from './handlers/process-job.ts';
import { createWorkerMetrics } from './metrics.ts';
import { createLeases } from './repositories/leases.ts';
import { createSnapshots } from './repositories/snapshots.ts';
import type { WorkerDeps } from './work/deps.ts';

export interface AssignmentWorker {
  readonly http: OpsHttpServer;
  readonly owner: string;
  /** stop pulling, let in-flight jobs finish (up to the grace period), release the rest */
  stopIntake(): Promise<void>;
  close(): Promise<void>;
}

export interface WorkerOptions {
  readonly config: Readonly<WorkerConfig>;
  readonly logger: Logger;
  /** tests inject a Graph client; production builds the HTTP one from config */
  readonly graph?: GraphClient;
}

/** Wires the worker: the shared shell (a plain pg pool, NATS, awaited topology, HTTP), the jobs consumer, KV leases, the ledger client, Graph. */
export async function startAssignmentWorker(options: WorkerOptions): Promise<AssignmentWorker> {
  const { config, logger } = options;
  const shell = await openServiceShell({
    name: 'assignment-worker',
    config,
    logger,
    // two statements of its own: a plain pool, no ORM (RSS, issue #18)
    pool: { url: config.DATABASE_URL, poolMax: config.DB_POOL_MAX },
    // ledger-service owns the topology (streams, locks bucket); this user may only read it
    topology: 'await',
  });
  const { nc, names, pool, owner, registry } = shell;
  const metrics = createWorkerMetrics(registry);
  const jsm = await jetstreamManager(nc);
  await ensureDurableConsumer(jsm, names.streams.jobs, {
    durable_name: names.consumers.assignmentWorker,
    filter_subject: names.jobSubject('assignments.>'),
    ack_wait: nanos(config.WORKER_ACK_WAIT_MS),
    // unlimited: JetStream never drops a job whose run is not terminal — the
    // worker ends the run itself after WORKER_MAX_DELIVER attempts
    // (docs/reliability.md, finding 1)
    max_deliver: -1,
    max_ack_pending: 10_000,
    description: 'assignment-worker: executes assignments.fetch and assignments.restore',
  });
  // the hot path's requests (lease writes, events, get_run) without nats.js's Error per request
  const lean = withLeanRequests(nc);
  const js = jetstream(lean);
  const kv = await openLocksBucket(lean, names);
  const graph =
    options.graph ??
    createHttpGraphClient({
      authorityUrl: config.GRAPH_AUTHORITY_URL,
      graphUrl: config.GRAPH_BASE_URL,
      clientId: config.GRAPH_CLIENT_ID,
      clientSecret: config.GRAPH_CLIENT_SECRET,
      timeoutMs: config.GRAPH_TIMEOUT_MS,
      maxRetries: config.GRAPH_MAX_RETRIES,
      maxRetryAfterMs: config.GRAPH_MAX_RETRY_AFTER_MS,
      logger,
    });
  const deps: WorkerDeps = {
    js,
    names,
    leases: createLeases(kv),
    ledger: createLedgerClient(lean, names),
    graph,
    db: pool!,
    snapshots: createSnapshots(pool!),
    logger: logger.child({ owner }),
    metrics,
    owner,
    secrets: [config.GRAPH_CLIENT_SECRET],
    settings: {
      maxAttempts: config.WORKER_MAX_DELIVER,
      heartbeatMs: config.WORKER_HEARTBEAT_MS,
      staleMs: config.WORKER_LEASE_STALE_MS,
      fenceMs: config.WORKER_LEASE_FENCE_MS,
      renewTimeoutMs: config.WORKER_LEASE_RENEW_TIMEOUT_MS,
      progressEvery: config.WORKER_PROGRESS_EVERY,
    },
    connected: () => natsConnected(nc),
    ledgerCaughtUp: async () => (await ledgerCaughtUp(jsm, names, { timeoutMs: 0 })).caughtUp,
    now: () => new Date(),
  };
  const jobs: JobsConsumer = startJobsConsumer(
    nc,
    { stream: names.streams.jobs, consumer: names.consumers.assignmentWorker, inboxPrefix: natsCredentials(config).inboxPrefix },
    { concurrency: config.WORKER_CONCURRENCY, logger },
    (msg, release) => processJob(deps, msg, release),
  );
  let intake = true;
  const http = await shell.listen(() => intake);
  logger.info({ port: http.port, owner, concurrency: config.WORKER_CONCURRENCY, prefix: names.prefix }, 'assignment-worker ready');
  return {
    http,
    owner,
    async stopIntake() {
      if (!intake) return;
      intake = false;
      await jobs.stop(config.WORKER_SHUTDOWN_GRACE_MS);
    },
    close: () => shell.close(),
  };
}
