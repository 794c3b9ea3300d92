import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { serviceMallocArenaMax, serviceNodeOptions } from '@ops/config';
import { createNames, type Names } from '@ops/contracts';
import { DB_ROLES, withDatabase } from '@ops/db';
import { createLedgerClient, dispatch } from '@ops/ledger-client';
import { deleteTopology } from '@ops/nats';
import { freePort, sleep } from '@ops/test-support';
import { Queue } from 'bullmq';
import { Redis as IORedis } from 'ioredis';
import type pg from 'pg';
import { PgBoss } from 'pg-boss';
import { type Exchanges, type MeterTargets, startMeter } from './exchanges.ts';
import type { BenchNats } from './nats.ts';
import { type PeerJob, SNAPSHOT_TABLE_SQL } from './peer-handler.ts';
import { ProcWatch } from './procstat.ts';
import {
  baseEnv,
  type Child,
  createDbFromTemplate,
  dropDb,
  log,
  ROOT,
  roleUrl,
  startChild,
  startRedis,
  type Tenancy,
  waitReady,
  withClient,
} from './stack.ts';
import { percentile, perSecond, round } from './stats.ts';
import {
  type DispatchRecord,
  latencies,
  nowMs,
  producerSequences,
  runPaced,
  runProducers,
  type SystemName,
  type WorkloadSpec,
} from './workload.ts';

export const GRAPH_SECRET = 'bench-fake-graph-secret';

export interface BenchContext {
  /** the bench's own PostgreSQL cluster (superuser) */
  readonly adminUrl: string;
  /** the bench's own nats-server, or cluster (--cluster): URLs, monitoring endpoints, PIDs, replicas */
  readonly nats: BenchNats;
  /** the PostgreSQL postmaster's PID (CPU is counted for every system, as nats-server's) */
  readonly servers: { readonly pgPid: number };
  /** where processes started with count-errors.ts write their counts */
  readonly errorsDir: string;
  readonly template: string;
  readonly tenancy: Tenancy;
  readonly logLevel: string;
  /** stall guard: give up when nothing completes for this long */
  readonly stallMs: number;
  /** extra environment for our services (--service-env KEY=VALUE: experiments with config, NODE_OPTIONS, …) */
  readonly serviceEnv: Record<string, string>;
}

export interface RunResult {
  system: SystemName;
  workload: string;
  run: number;
  dispatches: number;
  distinct_identities: number;
  dispatch_per_sec: number;
  e2e_per_sec: number;
  p50_ms: number;
  p99_ms: number;
  executed: number;
  ledger_rows: number | null;
  peak_rss_mb: Record<string, number>;
  cpu_s: Record<string, number>;
  /** what the run exchanged, counted by the servers (exchanges.ts); totals over the workload */
  exchanges: Exchanges;
  /** created jobs/runs (the rest were refused as duplicates) */
  created: number;
  /** ops only: every ledger row completed/succeeded with counters {1,1,0}; dedupe_hits sum */
  ledger_check?: { rows_completed_with_counters: number; dedupe_hits: number; expected_dedupe_hits: number; ok: boolean };
  dispatch_p99_ms: number;
  /** slowest dispatch→completed */
  max_ms: number;
  /** ops only: runs that needed more than one attempt (a redelivered job) */
  retried_runs?: number;
}

// ------------------------------------------------------------------ helpers

const COUNT_ERRORS = join(ROOT, 'test/bench/src/count-errors.ts');

/** node flags and env of a process whose Error constructions the bench counts (count-errors.ts) */
function counted(
  ctx: BenchContext,
  name: string,
): { flags: string[]; env: Record<string, string>; counter: { name: string; file: string } } {
  const file = join(ctx.errorsDir, `${name}.count`);
  return { flags: ['--import', COUNT_ERRORS], env: { BENCH_ERRORS_FILE: file }, counter: { name, file } };
}

/** the counters a meter reads of these started processes */
function errorCounters(procs: readonly Child[], counters: ReadonlyArray<{ name: string; file: string }>): MeterTargets['errorCounters'] {
  return counters.flatMap((c) => {
    const proc = procs.find((p) => p.name === c.name);
    return proc ? [{ name: c.name, pid: proc.pid, file: c.file }] : [];
  });
}

async function startFakeGraph(
  ctx: BenchContext,
  profileFlags: string[],
): Promise<{ child: Child; url: string; counter: { name: string; file: string } }> {
  const port = await freePort();
  const count = counted(ctx, 'fake-graph');
  const child = startChild({
    name: 'fake-graph',
    args: ['services/fake-graph/src/main.ts'],
    nodeFlags: [...count.flags, ...profileFlags],
    env: {
      ...baseEnv(),
      NODE_OPTIONS: serviceNodeOptions(process.env['NODE_OPTIONS']),
      FAKE_GRAPH_PORT: String(port),
      FAKE_GRAPH_CLIENT_SECRET: GRAPH_SECRET,
      FAKE_GRAPH_LATENCY_MS: '0',
      LOG_LEVEL: ctx.logLevel,
      ...count.env,
      ...ctx.serviceEnv,
    },
  });
  await waitReady(child, port);
  return { child, url: `http://127.0.0.1:${port}`, counter: count.counter };
}

/** Polls `open()` until it is 0; throws when it does not move for ctx.stallMs. */
async function waitDrained(ctx: BenchContext, what: string, open: () => Promise<number>): Promise<void> {
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const n = await open();
    if (n === 0) return;
    if (n !== last) {
      last = n;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > ctx.stallMs) {
      throw new Error(`${what}: ${n} still open, no progress for ${ctx.stallMs} ms`);
    }
    await sleep(100);
  }
}

/**
 * The bench's own connection to a run's database, counting its queries: each
 * is one statement and one commit the meter subtracts from the system's.
 */
async function withCountedClient<T>(url: string, fn: (query: pg.Client['query'], count: () => number) => Promise<T>): Promise<T> {
  return withClient(url, async (c) => {
    let n = 0;
    const query = ((...args: Parameters<pg.Client['query']>) => {
      n += 1;
      return (c.query as (...a: unknown[]) => unknown)(...args);
    }) as pg.Client['query'];
    return fn(query, () => n);
  });
}

function summarize(
  system: SystemName,
  spec: WorkloadSpec,
  run: number,
  disp: { records: DispatchRecord[]; startMs: number; endMs: number },
  completedAt: Map<string, number>,
): Pick<
  RunResult,
  | 'system'
  | 'workload'
  | 'run'
  | 'dispatches'
  | 'distinct_identities'
  | 'dispatch_per_sec'
  | 'e2e_per_sec'
  | 'p50_ms'
  | 'p99_ms'
  | 'created'
  | 'dispatch_p99_ms'
  | 'max_ms'
> {
  const lat = latencies(disp.records, completedAt);
  const lastDone = Math.max(...completedAt.values());
  const created = disp.records.filter((r) => r.created).length;
  return {
    system,
    workload: spec.name,
    run,
    dispatches: disp.records.length,
    distinct_identities: spec.identities,
    dispatch_per_sec: round(perSecond(disp.records.length, disp.endMs - disp.startMs)),
    // runs executed per second, first dispatch → last completion
    e2e_per_sec: round(perSecond(completedAt.size, lastDone - disp.startMs)),
    p50_ms: round(percentile(lat, 50)),
    p99_ms: round(percentile(lat, 99)),
    created,
    dispatch_p99_ms: round(
      percentile(
        disp.records.map((r) => r.t1 - r.t0),
        99,
      ),
      2,
    ),
    max_ms: round(Math.max(...lat)),
  };
}

/**
 * CPU of every process taking part, measured the same way for every system:
 * its own processes, both servers of the bench (nats-server — on a cluster
 * its three nodes summed under the one name; PostgreSQL's postmaster with all
 * its backends, reaped ones included) and the bench process itself (the
 * producers).
 */
function watchProcs(ctx: BenchContext, procs: readonly Child[]): ProcWatch {
  const watch = new ProcWatch();
  for (const p of procs) watch.add(p.name, p.pid);
  watch.add('nats-server', ...ctx.nats.pids);
  watch.addTree('postgres', ctx.servers.pgPid);
  watch.add('bench', process.pid);
  watch.start();
  return watch;
}

// ---------------------------------------------------------------------- ops

interface OpsStack {
  readonly names: Names;
  readonly db: string;
  readonly procs: Child[];
  /** one per ledger-service replica */
  readonly ledgerMetricsUrls: string[];
  readonly counters: ReadonlyArray<{ name: string; file: string }>;
  /** the processes stop (the database stays, for the meter) */
  stopProcesses(): Promise<void>;
  /** topology and database removed */
  cleanup(): Promise<void>;
}

/**
 * The four services as separate processes (like `pnpm start`; on a cluster
 * two ledger-service replicas), a fresh database cloned from the template and
 * a fresh NATS prefix.
 */
export async function startOpsStack(ctx: BenchContext, tag: string, profileDir?: string): Promise<OpsStack> {
  const db = 'ops_bench_run';
  await createDbFromTemplate(ctx.adminUrl, db, ctx.template);
  const prefix = `bench${tag}`;
  const names = createNames(prefix);
  const profile = (name: string) => (profileDir ? ['--cpu-prof', '--cpu-prof-dir', join(profileDir, name)] : []);
  // the services' heap limits and malloc arenas as `pnpm start` and the image set them; --service-env overrides
  const env0 = baseEnv();
  const common = {
    ...env0,
    NODE_OPTIONS: serviceNodeOptions(env0['NODE_OPTIONS']),
    MALLOC_ARENA_MAX: serviceMallocArenaMax(env0['MALLOC_ARENA_MAX']),
    NATS_URL: ctx.nats.urls.join(','),
    NATS_REPLICAS: String(ctx.nats.replicas),
    NATS_PREFIX: prefix,
    LOG_LEVEL: ctx.logLevel,
    ...ctx.serviceEnv,
  };
  const service = (name: string, script: string, env: Record<string, string>): Child => {
    const count = counted(ctx, name);
    counters.push(count.counter);
    return startChild({ name, args: [script], nodeFlags: [...count.flags, ...profile(name)], env: { ...common, ...env, ...count.env } });
  };
  // leftovers of an interrupted bench with the same prefix
  const nc0 = await connect({ servers: ctx.nats.urls });
  await deleteTopology(nc0, names).catch(() => undefined);
  await nc0.close();
  const procs: Child[] = [];
  const counters: Array<{ name: string; file: string }> = [];
  const ledgerPorts: number[] = [];
  try {
    const graph = await startFakeGraph(ctx, profile('fake-graph'));
    procs.push(graph.child);
    counters.push(graph.counter);
    // one after the other: the first creates the streams, the bucket and the consumer (as the chaos stack starts them)
    for (let i = 0; i < ctx.nats.ledgerReplicas; i += 1) {
      const port = await freePort();
      ledgerPorts.push(port);
      const name = ctx.nats.ledgerReplicas === 1 ? 'ledger-service' : `ledger-service-${i + 1}`;
      const ledger = service(name, 'services/ledger-service/src/main.ts', {
        DATABASE_URL: roleUrl(ctx.adminUrl, db, DB_ROLES.ledger),
        HTTP_PORT: String(port),
      });
      procs.push(ledger);
      await waitReady(ledger, port);
    }
    const workerPort = await freePort();
    const worker = service('assignment-worker', 'services/assignment-worker/src/main.ts', {
      DATABASE_URL: roleUrl(ctx.adminUrl, db, DB_ROLES.worker),
      HTTP_PORT: String(workerPort),
      GRAPH_AUTHORITY_URL: graph.url,
      GRAPH_BASE_URL: graph.url,
      GRAPH_CLIENT_SECRET: GRAPH_SECRET,
      // one worker process × 16 = the peers' 16 jobs at once
      WORKER_CONCURRENCY: '16',
    });
    procs.push(worker);
    const hkPort = await freePort();
    const hk = service('housekeeping', 'services/housekeeping/src/main.ts', { HTTP_PORT: String(hkPort) });
    procs.push(hk);
    await waitReady(worker, workerPort);
    await waitReady(hk, hkPort);
  } catch (err) {
    await Promise.all(procs.map((p) => p.stop(5_000)));
    throw err;
  }
  return {
    names,
    db,
    procs,
    ledgerMetricsUrls: ledgerPorts.map((port) => `http://127.0.0.1:${port}/metrics`),
    counters,
    async stopProcesses() {
      await Promise.all(procs.map((p) => p.stop()));
    },
    async cleanup() {
      const nc = await connect({ servers: ctx.nats.urls });
      await deleteTopology(nc, names).catch((err: unknown) => log(`could not delete the ${prefix} topology: ${String(err)}`));
      await nc.close();
      await dropDb(ctx.adminUrl, db);
    },
  };
}

async function opsProducers(ctx: BenchContext, names: Names, count: number) {
  const conns: NatsConnection[] = [];
  for (let i = 0; i < count; i += 1) conns.push(await connect({ servers: ctx.nats.urls }));
  const clients = conns.map((nc) => ({ ledger: createLedgerClient(nc, names, { timeoutMs: 30_000 }), js: jetstream(nc) }));
  const send = async (p: number, identity: number) => {
    const policy = ctx.tenancy.policies[identity]!;
    const c = clients[p]!;
    const r = await dispatch(c.ledger, {
      workspace_id: ctx.tenancy.workspaceId,
      tenant_id: policy.tenantId,
      type: 'assignments.fetch',
      inputs: { policy_ids: [policy.policyId] },
      initiator: { name: 'bench' },
    });
    return { id: r.run.id, created: r.disposition === 'created' };
  };
  return { send, close: () => Promise.all(conns.map((nc) => nc.close())) };
}

/** one settled second after start: a backend reports its commits at most once a second while busy, and when it goes idle */
const STATS_SETTLE_MS = 1_500;

export async function runOps(ctx: BenchContext, spec: WorkloadSpec, run: number, profileDir?: string): Promise<RunResult> {
  const stack = await startOpsStack(ctx, `${spec.name}r${run}`, profileDir);
  const watch = watchProcs(ctx, stack.procs);
  const runDb = withDatabase(ctx.adminUrl, stack.db);
  const nc = await connect({ servers: ctx.nats.urls });
  try {
    const producers = await opsProducers(ctx, stack.names, spec.producers);
    await sleep(STATS_SETTLE_MS);
    const meter = await startMeter({
      adminUrl: ctx.adminUrl,
      db: stack.db,
      nats: {
        monitorUrls: ctx.nats.monitorUrls,
        jsm: await jetstreamManager(nc),
        streams: {
          jobs: stack.names.streams.jobs,
          ledger: stack.names.streams.ledger,
          dlq: stack.names.streams.dlq,
          kv: `KV_${stack.names.kv.locks}`,
        },
      },
      ledgerMetricsUrls: stack.ledgerMetricsUrls,
      errorCounters: errorCounters(stack.procs, stack.counters),
    });
    watch.mark();
    const disp = await runProducers(producerSequences(spec), producers.send);
    await producers.close();
    const { result, benchQueries } = await withCountedClient(runDb, async (query, count) => {
      await waitDrained(ctx, `ops ${spec.name}`, async () => {
        const r = await query<{ open: string }>(
          `SELECT count(*) AS open FROM operation_runs WHERE type = 'assignments.fetch' AND status IN ('queued','running')`,
        );
        return Number(r.rows[0]!.open);
      });
      const stats = watch.stop();
      await meter.live();
      const rows = await query<{
        id: string;
        status: string;
        outcome: string;
        ok_counts: boolean;
        dedupe_hits: number;
        done_ms: number;
        attempt: number;
      }>(
        `SELECT id, status, outcome, dedupe_hits, attempt,
                summary_counts = '{"total":1,"processed":1,"failed":0}'::jsonb AS ok_counts,
                -- completed_at, not updated_at: a later dedupe hit (W2's cooldown dispatches) moves updated_at
                extract(epoch FROM completed_at) * 1000 AS done_ms
           FROM operation_runs WHERE type = 'assignments.fetch'`,
      );
      const executed = await query<{ n: string }>('SELECT count(DISTINCT run_id) AS n FROM assignment_snapshots');
      // housekeeping's own scheduled runs (ops.reconcile_adapter_runs, every 5 min) are not the workload's
      const other = await query<{ type: string; n: string }>(
        `SELECT type, count(*) AS n FROM operation_runs WHERE type <> 'assignments.fetch' GROUP BY type`,
      );
      if (other.rows.length > 0) log(`  (not counted: ${other.rows.map((o) => `${o.n} ${o.type}`).join(', ')})`);
      const completedAt = new Map<string, number>();
      let okRows = 0;
      let hits = 0;
      for (const r of rows.rows) {
        if (r.status === 'completed') completedAt.set(r.id, Number(r.done_ms));
        if (r.status === 'completed' && r.outcome === 'succeeded' && r.ok_counts) okRows += 1;
        hits += Number(r.dedupe_hits);
      }
      const base = summarize('ops', spec, run, disp, completedAt);
      const expectedHits = disp.records.length - rows.rows.length;
      return {
        result: {
          ...base,
          executed: Number(executed.rows[0]!.n),
          ledger_rows: rows.rows.length,
          retried_runs: rows.rows.filter((r) => r.attempt > 1).length,
          peak_rss_mb: stats.peakRssMb,
          cpu_s: stats.cpuS,
          ledger_check: {
            rows_completed_with_counters: okRows,
            dedupe_hits: hits,
            expected_dedupe_hits: expectedHits,
            ok: okRows === rows.rows.length && rows.rows.length === spec.identities && hits === expectedHits,
          },
        },
        benchQueries: count(),
      };
    });
    await stack.stopProcesses();
    return { ...result, exchanges: await meter.finish(benchQueries) };
  } finally {
    watch.stop();
    await nc.close();
    await stack.stopProcesses();
    await stack.cleanup();
  }
}

/** Open-loop dispatch latency of our system at a fixed offered load (distinct identities). */
export async function runOpenLoop(
  ctx: BenchContext,
  rate: number,
  seconds: number,
): Promise<{
  rate: number;
  dispatches: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  errors: number;
  late_start_max_ms: number;
}> {
  const count = Math.min(Math.round(rate * seconds), ctx.tenancy.policies.length);
  const stack = await startOpsStack(ctx, 'open');
  try {
    const producers = await opsProducers(ctx, stack.names, 4);
    const r = await runPaced(count, rate, 4, producers.send);
    await producers.close();
    if (r.errors > 0) log(`  open loop: ${r.errors} dispatch(es) failed, e.g. ${r.errorSamples.join(' | ')}`);
    return {
      rate,
      dispatches: count,
      p50_ms: round(percentile(r.latencies, 50), 2),
      p99_ms: round(percentile(r.latencies, 99), 2),
      max_ms: round(Math.max(...r.latencies), 2),
      errors: r.errors,
      late_start_max_ms: round(r.lateStartMaxMs, 2),
    };
  } finally {
    await stack.stopProcesses();
    await stack.cleanup();
  }
}

// -------------------------------------------------------------------- peers

async function startPeerWorker(
  ctx: BenchContext,
  peer: 'pg-boss' | 'bullmq',
  env: Record<string, string>,
): Promise<{ child: Child; counter: { name: string; file: string } }> {
  const count = counted(ctx, `${peer}-worker`);
  const child = startChild({
    name: `${peer}-worker`,
    args: ['test/bench/src/peer-worker.ts'],
    nodeFlags: count.flags,
    env: { ...baseEnv(), ...env, ...count.env, BENCH_PEER: peer },
  });
  await child.waitFor(/peer-worker ready/, 60_000);
  return { child, counter: count.counter };
}

/** The fake Graph and the peer's worker process, with the handler pointed at both; their Error counters. */
async function startPeerProcesses(ctx: BenchContext, peer: 'pg-boss' | 'bullmq', env: Record<string, string>) {
  const graph = await startFakeGraph(ctx, []);
  const worker = await startPeerWorker(ctx, peer, { ...env, BENCH_GRAPH_URL: graph.url, BENCH_GRAPH_SECRET: GRAPH_SECRET }).catch(
    async (err: unknown) => {
      await graph.child.stop(5_000);
      throw err;
    },
  );
  return { procs: [graph.child, worker.child], counters: [graph.counter, worker.counter] };
}

export async function runPgBoss(ctx: BenchContext, spec: WorkloadSpec, run: number): Promise<RunResult> {
  const db = 'ops_bench_pgboss';
  await createDbFromTemplate(ctx.adminUrl, db, ctx.template);
  const url = withDatabase(ctx.adminUrl, db);
  await withClient(url, (c) => c.query(SNAPSHOT_TABLE_SQL));
  const queue = `fetch_${spec.name}_${run}`;
  const procs: Child[] = [];
  const counters: Array<{ name: string; file: string }> = [];
  const boss = new PgBoss({ connectionString: url, max: spec.producers, schedule: false, supervise: false });
  boss.on('error', (err: Error) => log(`pg-boss (producer): ${err.message}`));
  let watch: ProcWatch | undefined;
  try {
    await boss.start();
    await boss.createQueue(queue, { policy: 'standard', notify: true });
    const peer = await startPeerProcesses(ctx, 'pg-boss', { BENCH_QUEUE: queue, BENCH_DATABASE_URL: url });
    procs.push(...peer.procs);
    counters.push(...peer.counters);
    watch = watchProcs(ctx, procs);
    await sleep(STATS_SETTLE_MS);
    const meter = await startMeter({ adminUrl: ctx.adminUrl, db, errorCounters: errorCounters(procs, counters) });
    watch.mark();
    const disp = await runProducers(producerSequences(spec), async (_p, identity) => {
      const policy = ctx.tenancy.policies[identity]!;
      const data: PeerJob = { tenant_id: policy.tenantId, policy_id: policy.policyId };
      const id = await boss.send(queue, data, { singletonKey: `fetch:${identity}`, singletonSeconds: 900 });
      return { id, created: id !== null };
    });
    const { result, benchQueries } = await withCountedClient(url, async (query, count) => {
      await waitDrained(ctx, `pg-boss ${spec.name}`, async () => {
        const r = await query<{ open: string }>(
          `SELECT count(*) AS open FROM pgboss.job WHERE name = $1 AND state IN ('created','retry','active')`,
          [queue],
        );
        return Number(r.rows[0]!.open);
      });
      const stats = watch!.stop();
      await meter.live();
      const rows = await query<{ id: string; done_ms: number | null }>(
        `SELECT id, extract(epoch FROM completed_on) * 1000 AS done_ms FROM pgboss.job WHERE name = $1 AND state = 'completed'`,
        [queue],
      );
      const completedAt = new Map(rows.rows.map((r) => [r.id, Number(r.done_ms)] as const));
      const executed = await query<{ n: string }>('SELECT count(DISTINCT job_id) AS n FROM bench_snapshots');
      return {
        result: {
          ...summarize('pg-boss', spec, run, disp, completedAt),
          executed: Number(executed.rows[0]!.n),
          ledger_rows: null,
          peak_rss_mb: stats.peakRssMb,
          cpu_s: stats.cpuS,
        },
        benchQueries: count(),
      };
    });
    await Promise.all(procs.map((p) => p.stop()));
    await boss.stop({ graceful: false }).catch(() => undefined);
    return { ...result, exchanges: await meter.finish(benchQueries) };
  } finally {
    watch?.stop();
    await Promise.all(procs.map((p) => p.stop()));
    await boss.stop({ graceful: false }).catch(() => undefined);
    await dropDb(ctx.adminUrl, db);
  }
}

export async function runBullmq(ctx: BenchContext, spec: WorkloadSpec, run: number): Promise<RunResult> {
  const db = 'ops_bench_bullmq';
  await createDbFromTemplate(ctx.adminUrl, db, ctx.template);
  const url = withDatabase(ctx.adminUrl, db);
  await withClient(url, (c) => c.query(SNAPSHOT_TABLE_SQL));
  const redis = await startRedis();
  const queueName = `fetch_${spec.name}_${run}`;
  const connection = { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null };
  const queues = Array.from({ length: spec.producers }, () => new Queue<PeerJob>(queueName, { connection }));
  // the bench's own Redis connection, for INFO / CONFIG RESETSTAT only
  const admin = new IORedis(connection);
  const procs: Child[] = [redis.proc];
  const counters: Array<{ name: string; file: string }> = [];
  let watch: ProcWatch | undefined;
  try {
    await Promise.all(queues.map((q) => q.waitUntilReady()));
    const peer = await startPeerProcesses(ctx, 'bullmq', {
      BENCH_QUEUE: queueName,
      BENCH_DATABASE_URL: url,
      BENCH_REDIS_PORT: String(redis.port),
    });
    procs.push(...peer.procs);
    counters.push(...peer.counters);
    watch = watchProcs(ctx, procs);
    await sleep(STATS_SETTLE_MS);
    const meter = await startMeter({
      adminUrl: ctx.adminUrl,
      db,
      redis: {
        info: () => admin.info('commandstats'),
        resetStats: async () => {
          await admin.config('RESETSTAT');
        },
      },
      errorCounters: errorCounters(procs, counters),
    });
    watch.mark();
    const seen = new Set<string>();
    const disp = await runProducers(producerSequences(spec), async (p, identity) => {
      const policy = ctx.tenancy.policies[identity]!;
      const job = await queues[p]!.add(
        'fetch',
        { tenant_id: policy.tenantId, policy_id: policy.policyId },
        { deduplication: { id: `fetch:${identity}`, ttl: 900_000 } },
      );
      const id = job.id ?? null;
      const created = id !== null && !seen.has(id);
      if (id !== null) seen.add(id);
      return { id, created };
    });
    const q = queues[0]!;
    // drained by the handler's snapshot rows (the bench's SQL is subtracted; polling Redis would add commands to the count)
    const created = seen.size;
    const benchQueries = await withCountedClient(url, async (query, count) => {
      await waitDrained(ctx, `bullmq ${spec.name}`, async () => {
        const r = await query<{ n: string }>('SELECT count(DISTINCT job_id) AS n FROM bench_snapshots');
        return created - Number(r.rows[0]!.n);
      });
      return count();
    });
    // the last jobs are marked completed just after their snapshot row
    await waitDrained(ctx, `bullmq ${spec.name}`, async () => {
      const c = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
      return Object.values(c).reduce((a, b) => a + b, 0);
    });
    const stats = watch.stop();
    await meter.live();
    const completed = await q.getJobs(['completed'], 0, -1);
    const completedAt = new Map<string, number>();
    for (const j of completed) if (j.id && j.finishedOn) completedAt.set(j.id, j.finishedOn);
    const executed = await withClient(url, (c) => c.query<{ n: string }>('SELECT count(DISTINCT job_id) AS n FROM bench_snapshots'));
    await Promise.all(procs.filter((p) => p !== redis.proc).map((p) => p.stop()));
    return {
      ...summarize('bullmq', spec, run, disp, completedAt),
      executed: Number(executed.rows[0]!.n),
      ledger_rows: null,
      peak_rss_mb: stats.peakRssMb,
      cpu_s: stats.cpuS,
      // the executed-count query above is the bench's too
      exchanges: await meter.finish(benchQueries + 1),
    };
  } finally {
    watch?.stop();
    admin.disconnect();
    await Promise.all(queues.map((qq) => qq.close().catch(() => undefined)));
    await Promise.all(procs.filter((p) => p !== redis.proc).map((p) => p.stop()));
    await redis.stop();
    await dropDb(ctx.adminUrl, db);
  }
}

export { nowMs };
