import { type JetStreamClient, jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { createNames, type Names } from '@ops/contracts';
import { DB_ROLES, withRole } from '@ops/db';
import { createLedgerClient, type LedgerClient } from '@ops/ledger-client';
import {
  type NatsCluster,
  type OwnNatsServer,
  type OwnPgServer,
  prng,
  runNode,
  type ServiceProcess,
  sleep,
  startNatsCluster,
  startNatsServer,
  startPgServer,
  startService,
} from '@ops/test-support';
import pg from 'pg';
import { type GraphProcess, startGraphProcess } from './graph.ts';

/**
 * The whole system for one chaos scenario, on servers of its own: NATS (one
 * nats-server, or a 3-node cluster in network namespaces with R3 streams and
 * KV), a PostgreSQL cluster (free ports, temp dirs), the fake Graph (with
 * latency), and every service as a separate process (ledger-service replicas,
 * WORKERS assignment-workers, housekeeping replicas) so a scenario can kill -9
 * any of them, or the servers underneath.
 */
export const TENANTS = 100;
export const POLICIES_PER_TENANT = 10;
/** one run per (tenant, policy): 1,000 distinct identities whose Graph keys never overlap */
export const RUNS = TENANTS * POLICIES_PER_TENANT;
export const WORKERS = 3;
/** dispatches per second: slower than the stack completes them, so dispatching spans the faults */
export const DISPATCH_RATE = 60;
const GRAPH_SECRET = 'chaos-graph-client-secret-0123456789';

export interface Target {
  readonly tenantId: string;
  readonly tenantExternalId: string;
  readonly policyId: string;
  readonly policyExternalId: string;
}

export interface ChaosStack {
  readonly scenario: string;
  /** the one nats-server (single-node stacks) */
  readonly nats: OwnNatsServer | undefined;
  /** the 3-node cluster (cluster stacks) */
  readonly cluster: NatsCluster | undefined;
  /** what every process is given as NATS_URL (comma-separated on a cluster) */
  readonly natsUrl: string;
  readonly pg: OwnPgServer;
  readonly graph: GraphProcess;
  readonly names: Names;
  nc: NatsConnection;
  js: JetStreamClient;
  ledgerClient: LedgerClient;
  readonly workspaceId: string;
  readonly targets: readonly Target[];
  /** the first ledger replica (the one single-node scenarios kill) */
  ledger: ServiceProcess;
  readonly ledgers: ServiceProcess[];
  readonly workers: ServiceProcess[];
  readonly housekeepers: ServiceProcess[];
  /** every process ever started (killed ones included: their output is evidence) */
  readonly processes: ServiceProcess[];
  startLedger(index?: number): Promise<ServiceProcess>;
  startWorker(index: number): Promise<ServiceProcess>;
  /** admin query against the stack's database, retried while PostgreSQL is down */
  sql<T>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

const DB_NAME = 'ops_chaos';

export interface StackOptions {
  /** extra environment of the ledger-service (e.g. a short locks TTL) */
  readonly ledgerEnv?: Record<string, string>;
  /** a 3-node cluster (R3 streams and KV), 2 ledger and 2 housekeeping replicas; else one server, one of each */
  readonly cluster?: boolean;
}

export async function startChaosStack(scenario: string, options: StackOptions = {}): Promise<ChaosStack> {
  const cluster = options.cluster ? await startNatsCluster() : undefined;
  const nats = cluster ? undefined : await startNatsServer();
  const natsUrl = cluster ? cluster.urls.join(',') : nats!.url;
  const replicas = cluster ? 3 : 1;
  const pgServer = await startPgServer();
  const adminUrl = pgServer.url(DB_NAME);
  const seeded = await runNode(
    'services/ledger-service/src/seed/main.ts',
    ['--json'],
    { DATABASE_URL: adminUrl, SEED_TENANTS: String(TENANTS), SEED_POLICIES_PER_TENANT: String(POLICIES_PER_TENANT), LOG_LEVEL: 'warn' },
    120_000,
  );
  if (seeded.code !== 0) throw new Error(`seed failed (${seeded.code}): ${seeded.stderr}`);
  const report = JSON.parse(seeded.stdout) as { workspace: { id: string } };

  const graph = await startGraphProcess('ops-chaos', GRAPH_SECRET, 10);
  const names = createNames('');
  const common = { NATS_URL: natsUrl, NATS_REPLICAS: String(replicas), HTTP_PORT: '0', LOG_LEVEL: 'info' };
  const processes: ServiceProcess[] = [graph.proc];
  const start = async (script: string, env: Record<string, string>, ready: RegExp) => {
    const proc = startService(script, env);
    processes.push(proc);
    await proc.waitForOutput(ready, 60_000);
    return proc;
  };
  const ledgerEnv = { ...common, DATABASE_URL: withRole(adminUrl, DB_ROLES.ledger), ...options.ledgerEnv };
  const workerEnv = {
    ...common,
    DATABASE_URL: withRole(adminUrl, DB_ROLES.worker),
    GRAPH_AUTHORITY_URL: graph.url,
    GRAPH_BASE_URL: graph.url,
    GRAPH_CLIENT_ID: 'ops-chaos',
    GRAPH_CLIENT_SECRET: GRAPH_SECRET,
    GRAPH_MAX_RETRIES: '1',
    GRAPH_MAX_RETRY_AFTER_MS: '2000',
    WORKER_CONCURRENCY: '8',
    // the worker harness's short timings: a killed worker's job comes back in seconds
    WORKER_ACK_WAIT_MS: '4000',
    WORKER_HEARTBEAT_MS: '300',
    WORKER_LEASE_STALE_MS: '3000',
    WORKER_LEASE_FENCE_MS: '1800',
    WORKER_LEASE_RENEW_TIMEOUT_MS: '600',
    WORKER_SHUTDOWN_GRACE_MS: '2000',
  };
  const housekeepingEnv = {
    ...common,
    HOUSEKEEPING_CRON: '*/2 * * * * *',
    // longer than a transient retry's backoff (a released lease comes back within it)
    HOUSEKEEPING_STALE_GRACE_SECONDS: '20',
    HOUSEKEEPING_QUEUED_AFTER_SECONDS: '10',
  };

  const stack = {
    scenario,
    nats,
    cluster,
    natsUrl,
    pg: pgServer,
    graph,
    names,
    workspaceId: report.workspace.id,
    processes,
    ledgers: [] as ServiceProcess[],
    workers: [] as ServiceProcess[],
    housekeepers: [] as ServiceProcess[],
  } as unknown as ChaosStack;

  const pool = new pg.Pool({ connectionString: adminUrl, max: 3, connectionTimeoutMillis: 2_000 });
  pool.on('error', () => undefined);
  stack.sql = async <T>(text: string, params: unknown[] = []) => {
    for (let i = 0; ; i += 1) {
      try {
        return (await pool.query(text, params)).rows as T[];
      } catch (err) {
        if (i >= 100) throw err;
        await sleep(200);
      }
    }
  };
  stack.startLedger = async (index = 0) => {
    const proc = await start('services/ledger-service/src/main.ts', ledgerEnv, /ledger-service ready/);
    stack.ledgers[index] = proc;
    if (index === 0) stack.ledger = proc;
    return proc;
  };
  stack.startWorker = async (index) => {
    const proc = await start('services/assignment-worker/src/main.ts', workerEnv, /assignment-worker ready/);
    stack.workers[index] = proc;
    return proc;
  };

  // the latency of every Graph call varies between 5 and 20 ms (the fake has one setting: it is moved)
  const jitterRandom = prng(0x1a7e);
  const jitter = setInterval(() => void graph.setLatency(5 + Math.floor(jitterRandom() * 16)).catch(() => undefined), 200);

  // the cluster stack runs replicated services, as the prod overlay does
  const serviceReplicas = cluster ? 2 : 1;
  await stack.startLedger(0); // creates the streams, the bucket, the consumer
  for (let i = 1; i < serviceReplicas; i += 1) await stack.startLedger(i);
  await Promise.all(Array.from({ length: WORKERS }, (_, i) => stack.startWorker(i)));
  for (let i = 0; i < serviceReplicas; i += 1)
    stack.housekeepers[i] = await start('services/housekeeping/src/main.ts', housekeepingEnv, /housekeeping ready/);
  // pings as often as the services' (libs/nats): a cut node's clients move within seconds
  stack.nc = await connect({
    servers: natsUrl.split(','),
    timeout: 5_000,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 200,
    pingInterval: 10_000,
  });
  stack.js = jetstream(stack.nc);
  stack.ledgerClient = createLedgerClient(stack.nc, names, { timeoutMs: 5_000 });

  const rows = await stack.sql<{ tenant_id: string; tenant_ext: string; policy_id: string; policy_ext: string }>(
    `SELECT t.id AS tenant_id, t.external_id AS tenant_ext, p.id AS policy_id, p.external_id AS policy_ext
       FROM tenants t JOIN policies p ON p.tenant_id = t.id
      WHERE t.workspace_id = $1 ORDER BY t.slug, p.name`,
    [stack.workspaceId],
  );
  (stack as unknown as { targets: Target[] }).targets = rows.map((r) => ({
    tenantId: r.tenant_id,
    tenantExternalId: r.tenant_ext,
    policyId: r.policy_id,
    policyExternalId: r.policy_ext,
  }));

  stack.close = async () => {
    clearInterval(jitter);
    for (const p of processes) await p.stop('SIGKILL');
    await stack.nc?.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await nats?.stop();
    await cluster?.stop();
    await pgServer.stop();
  };
  return stack;
}

/** kill -9 (the output of the dead process stays in stack.processes) */
export async function kill9(proc: ServiceProcess): Promise<void> {
  proc.child.kill('SIGKILL');
  await proc.exited;
}
