import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type JetStreamClient, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { createNames, type Names } from '@ops/contracts';
import { DB_ROLES, withRole } from '@ops/db';
import { type FakeGraph, startFakeGraph } from '@ops/fake-graph';
import { createLedgerClient, dispatch, type LedgerClient } from '@ops/ledger-client';
import {
  type OwnNatsServer,
  type OwnPgServer,
  ROOT,
  runNode,
  type ServiceProcess,
  sleep,
  startNatsServer,
  startPgServer,
  startService,
} from '@ops/test-support';
import pg from 'pg';

/**
 * The whole system for one chaos scenario, on servers of its own: a
 * nats-server and a PostgreSQL cluster (free ports, temp dirs), the fake
 * Graph in-process (with latency), and every service as a separate process
 * (ledger-service, WORKERS assignment-workers, housekeeping) so a scenario
 * can kill -9 any of them, or the servers underneath.
 */
export const TENANTS = 100;
export const POLICIES_PER_TENANT = 10;
/** one run per (tenant, policy): 1,000 distinct identities whose Graph keys never overlap */
export const RUNS = TENANTS * POLICIES_PER_TENANT;
export const WORKERS = 3;
/** dispatches per second: slower than the stack completes them, so dispatching spans the faults */
export const DISPATCH_RATE = 60;
const GRAPH_SECRET = 'chaos-graph-client-secret-0123456789';

/** mulberry32: the scenario's fault points come from this seeded PRNG (printed, so a run can be replayed). */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** CHAOS_SEED overrides the scenario's default seed. */
export function scenarioSeed(fallback: number): number {
  const fromEnv = Number(process.env['CHAOS_SEED']);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : fallback;
}

export interface Target {
  readonly tenantId: string;
  readonly tenantExternalId: string;
  readonly policyId: string;
  readonly policyExternalId: string;
}

export interface ChaosStack {
  readonly scenario: string;
  readonly nats: OwnNatsServer;
  readonly pg: OwnPgServer;
  readonly graph: FakeGraph;
  readonly names: Names;
  nc: NatsConnection;
  js: JetStreamClient;
  ledgerClient: LedgerClient;
  readonly workspaceId: string;
  readonly targets: readonly Target[];
  ledger: ServiceProcess;
  readonly workers: ServiceProcess[];
  housekeeping: ServiceProcess;
  /** every process ever started (killed ones included: their output is evidence) */
  readonly processes: ServiceProcess[];
  startLedger(): Promise<ServiceProcess>;
  startWorker(index: number): Promise<ServiceProcess>;
  /** admin query against the stack's database, retried while PostgreSQL is down */
  sql<T>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

const DB_NAME = 'ops_chaos';

export async function startChaosStack(scenario: string): Promise<ChaosStack> {
  const nats = await startNatsServer();
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

  const graph = await startFakeGraph({ port: 0, clientId: 'ops-chaos', clientSecret: GRAPH_SECRET, faults: { latencyMs: 10 } });
  const names = createNames('');
  const natsUrl = nats.url;
  const common = { NATS_URL: natsUrl, HTTP_PORT: '0', LOG_LEVEL: 'info' };
  const processes: ServiceProcess[] = [];
  const start = async (script: string, env: Record<string, string>, ready: RegExp) => {
    const proc = startService(script, env);
    processes.push(proc);
    await proc.waitForOutput(ready, 60_000);
    return proc;
  };
  const ledgerEnv = { ...common, DATABASE_URL: withRole(adminUrl, DB_ROLES.ledger) };
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
    pg: pgServer,
    graph,
    names,
    workspaceId: report.workspace.id,
    processes,
    workers: [] as ServiceProcess[],
  } as unknown as ChaosStack & { workers: ServiceProcess[] };

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
  stack.startLedger = async () => {
    stack.ledger = await start('services/ledger-service/src/main.ts', ledgerEnv, /ledger-service ready/);
    return stack.ledger;
  };
  stack.startWorker = async (index) => {
    const proc = await start('services/assignment-worker/src/main.ts', workerEnv, /assignment-worker ready/);
    stack.workers[index] = proc;
    return proc;
  };

  // the latency of every Graph call varies between 5 and 20 ms (the fake has one setting: it is moved)
  const jitterRandom = prng(0x1a7e);
  const jitter = setInterval(() => graph.setFaults({ latencyMs: 5 + Math.floor(jitterRandom() * 16) }), 200);

  await stack.startLedger(); // creates the streams, the bucket, the consumer
  await Promise.all(Array.from({ length: WORKERS }, (_, i) => stack.startWorker(i)));
  stack.housekeeping = await start('services/housekeeping/src/main.ts', housekeepingEnv, /housekeeping ready/);
  stack.nc = await connect({ servers: natsUrl, timeout: 5_000, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
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
    await graph.close();
    await nats.stop();
    await pgServer.stop();
  };
  return stack;
}

/** kill -9 (the output of the dead process stays in stack.processes) */
export async function kill9(proc: ServiceProcess): Promise<void> {
  proc.child.kill('SIGKILL');
  await proc.exited;
}

export interface DispatchStats {
  runIds: Map<number, string>;
  /** dispatch calls that failed and were retried (ledger or NATS away) */
  retries: number;
  dispositions: Record<string, number>;
  startedAt: number;
  finishedAt: number;
}

/**
 * Dispatches one fetch run per target (1,000 distinct identities), a few at a
 * time, each retried until the ledger answers: a retry of an identity whose
 * run was created but whose job was not published gets `active` back — that
 * run waits for housekeeping to publish its job again.
 */
export async function dispatchAll(stack: ChaosStack, ratePerSecond = DISPATCH_RATE, concurrency = 8): Promise<DispatchStats> {
  const stats: DispatchStats = { runIds: new Map(), retries: 0, dispositions: {}, startedAt: Date.now(), finishedAt: 0 };
  let next = 0;
  const one = async (i: number) => {
    // paced: dispatch goes on while the faults fire (a burst would be over before the first one)
    const due = stats.startedAt + (i * 1000) / ratePerSecond;
    if (due > Date.now()) await sleep(due - Date.now());
    const t = stack.targets[i]!;
    const deadline = Date.now() + 180_000;
    for (;;) {
      try {
        const result = await dispatch(stack.ledgerClient, stack.js, stack.names, {
          workspace_id: stack.workspaceId,
          tenant_id: t.tenantId,
          type: 'assignments.fetch',
          inputs: { policy_ids: [t.policyId] },
          initiator: { name: 'chaos' },
        });
        stats.runIds.set(i, result.run.id);
        stats.dispositions[result.disposition] = (stats.dispositions[result.disposition] ?? 0) + 1;
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        stats.retries += 1;
        await sleep(250);
      }
    }
  };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < stack.targets.length) await one(next++);
    }),
  );
  stats.finishedAt = Date.now();
  return stats;
}

/** completed fetch runs (for progress-based fault points and the all-terminal wait) */
export async function completedCount(stack: ChaosStack): Promise<number> {
  const [row] = await stack.sql<{ n: string }>(
    `SELECT count(*) AS n FROM operation_runs WHERE type = 'assignments.fetch' AND status = 'completed'`,
  );
  return Number(row?.n ?? 0);
}

/** Resolves once `count` fetch runs are completed, polling every 100 ms (PostgreSQL may be away meanwhile). */
export async function waitCompletedAtLeast(stack: ChaosStack, count: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let n = -1;
    try {
      n = await completedCount(stack);
    } catch {
      // the database is restarting
    }
    if (n >= count) return n;
    if (Date.now() > deadline) throw new Error(`only ${n} of ${count} runs completed within ${timeoutMs} ms`);
    await sleep(100);
  }
}

interface LedgerEvent {
  run_id: string;
  attempt: number;
  seq: number;
  kind: string;
  streamSeq: number;
}

/** Every event OPS_LEDGER holds (read by sequence, 32 at a time). */
export async function readLedgerEvents(stack: ChaosStack): Promise<LedgerEvent[]> {
  const jsm = await jetstreamManager(stack.nc);
  const info = await jsm.streams.info(stack.names.streams.ledger);
  const events: LedgerEvent[] = [];
  const seqs: number[] = [];
  for (let s = info.state.first_seq; s <= info.state.last_seq && info.state.messages > 0; s += 1) seqs.push(s);
  for (let i = 0; i < seqs.length; i += 32) {
    const batch = await Promise.all(
      seqs.slice(i, i + 32).map((seq) => jsm.streams.getMessage(stack.names.streams.ledger, { seq }).catch(() => null)),
    );
    for (const m of batch) {
      if (!m) continue;
      const body = m.json<{ run_id: string; attempt: number; seq: number }>();
      events.push({ run_id: body.run_id, attempt: body.attempt, seq: body.seq, kind: m.subject.split('.').at(-1)!, streamSeq: m.seq });
    }
  }
  if (events.length !== info.state.messages) throw new Error(`read ${events.length} of ${info.state.messages} ledger events`);
  return events;
}

export interface RunRow {
  id: string;
  tenant_id: string;
  status: string;
  outcome: string;
  attempt: number;
  event_seq: number;
  last_event_stream_seq: string | null;
  summary_counts: Record<string, number>;
  failure_summary: Array<{ code: string; count: number }>;
  context: { inputs?: { policy_ids?: string[] } };
}

export interface Figures {
  scenario: string;
  seed: number;
  runs: number;
  faults: string[];
  kills_or_restarts: number;
  seconds_to_all_terminal: number;
  dispatch_retries: number;
  dispatch_seconds: number;
  outcomes: Record<string, number>;
  healed_by_housekeeping: number;
  healed_runs_closed: number;
  redeliveries: number;
  runs_with_more_than_one_attempt: number;
  max_attempt: number;
  duplicate_jobs_acknowledged: number;
  stale_lease_takeovers: number;
  ledger_events: number;
  dead_letters: number;
  orphan_jobs_left_by_nats: number;
  wall_seconds: number;
}

/** Prints the figures and writes them to .ci-out/chaos-<scenario>.json when that directory exists. */
export function publishFigures(figures: Figures): void {
  const text = JSON.stringify(figures, null, 2);
  process.stdout.write(`chaos figures ${figures.scenario}:\n${text}\n`);
  const dir = join(ROOT, '.ci-out');
  if (existsSync(dir)) writeFileSync(join(dir, `chaos-${figures.scenario}.json`), `${text}\n`);
}

export interface Verdict {
  runs: RunRow[];
  problems: string[];
  outcomes: Record<string, number>;
  healedRunsClosed: number;
  healedByHousekeeping: number;
  redeliveries: number;
  runsWithRetries: number;
  maxAttempt: number;
  ledgerEvents: number;
  deadLetters: number;
  duplicates: number;
  takeovers: number;
  /** acknowledged jobs nats-server kept in the work queue after a crash */
  orphanJobs: number;
}

/**
 * Every invariant at once, as a list of problems (empty = all hold):
 * the number of runs equals the number dispatched and all are completed;
 * every succeeded run's counters and snapshot equal the fake Graph's
 * ground truth; no Graph key saw overlapping calls; the ledger rows match
 * OPS_LEDGER (each run's last applied (attempt, seq) and its stream sequence
 * are the greatest the stream holds for it); the ledger consumer has nothing
 * pending; every job in OPS_JOBS is acknowledged; nothing was dead-lettered.
 */
export async function verify(stack: ChaosStack, dispatched: DispatchStats): Promise<Verdict> {
  const problems: string[] = [];
  const runs = await stack.sql<RunRow>(
    `SELECT id, tenant_id, status, outcome, attempt, event_seq, last_event_stream_seq, summary_counts, failure_summary, context
       FROM operation_runs WHERE type = 'assignments.fetch'`,
  );
  const ids = new Set(dispatched.runIds.values());
  if (dispatched.runIds.size !== RUNS) problems.push(`dispatched ${dispatched.runIds.size} of ${RUNS}`);
  if (ids.size !== RUNS) problems.push(`${ids.size} distinct run ids for ${RUNS} identities`);
  if (runs.length !== RUNS) problems.push(`${runs.length} fetch runs in the ledger, ${RUNS} dispatched`);
  for (const r of runs) if (!ids.has(r.id)) problems.push(`run ${r.id} in the ledger was never dispatched`);

  const byPolicy = new Map(stack.targets.map((t) => [t.policyId, t]));
  const snapshots = await stack.sql<{ run_id: string; policy_id: string; assignments: Array<{ id: string }> }>(
    'SELECT run_id, policy_id, assignments FROM assignment_snapshots',
  );
  const snapshotOf = new Map(snapshots.map((s) => [`${s.run_id}/${s.policy_id}`, s]));
  const probe = stack.graph.probe();
  const outcomes: Record<string, number> = {};
  let healedRunsClosed = 0;
  for (const r of runs) {
    outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    if (r.status !== 'completed') {
      problems.push(`run ${r.id} is ${r.status}`);
      continue;
    }
    if (r.failure_summary.some((f) => f.code === 'run.stale' || f.code === 'run.lost')) healedRunsClosed += 1;
    if (r.outcome !== 'succeeded') continue;
    const policyId = r.context.inputs?.policy_ids?.[0];
    const target = policyId ? byPolicy.get(policyId) : undefined;
    if (!target) {
      problems.push(`run ${r.id}: no target for its inputs`);
      continue;
    }
    const c = r.summary_counts;
    if (c['total'] !== 1 || c['processed'] !== 1 || c['failed'] !== 0)
      problems.push(`run ${r.id}: counters ${JSON.stringify(c)} ≠ {total 1, processed 1, failed 0}`);
    const truth = stack.graph.truth(target.tenantExternalId, target.policyExternalId).map((a) => a.id);
    const snap = snapshotOf.get(`${r.id}/${policyId}`);
    if (!snap) problems.push(`run ${r.id}: no snapshot`);
    else if (JSON.stringify(snap.assignments.map((a) => a.id)) !== JSON.stringify(truth))
      problems.push(`run ${r.id}: snapshot ≠ Graph's ground truth`);
    const key = probe.by_key[`${target.tenantExternalId}/${target.policyExternalId}`];
    if (!key || key.list_calls < 1) problems.push(`run ${r.id}: Graph never listed its policy`);
  }
  for (const [key, k] of Object.entries(probe.by_key)) {
    if (k.max_concurrent > 1) problems.push(`Graph key ${key}: ${k.max_concurrent} overlapping calls`);
    if (k.in_flight !== 0) problems.push(`Graph key ${key}: ${k.in_flight} calls still in flight`);
  }

  // ledger rows ↔ OPS_LEDGER
  const events = await readLedgerEvents(stack);
  const last = new Map<string, LedgerEvent>();
  const attemptsSeen = new Map<string, Set<number>>();
  for (const e of events) {
    const prev = last.get(e.run_id);
    if (!prev || e.attempt > prev.attempt || (e.attempt === prev.attempt && e.seq > prev.seq)) last.set(e.run_id, e);
    if (e.kind === 'started') (attemptsSeen.get(e.run_id) ?? attemptsSeen.set(e.run_id, new Set()).get(e.run_id)!).add(e.attempt);
  }
  for (const r of runs) {
    const e = last.get(r.id);
    if (!e) {
      problems.push(`run ${r.id}: no event in OPS_LEDGER`);
      continue;
    }
    if (e.kind !== 'completed') problems.push(`run ${r.id}: the last event in the stream is ${e.kind} (${e.attempt}/${e.seq})`);
    if (r.attempt !== e.attempt || r.event_seq !== e.seq || Number(r.last_event_stream_seq) !== e.streamSeq) {
      problems.push(
        `run ${r.id}: row (attempt ${r.attempt}, seq ${r.event_seq}, stream ${r.last_event_stream_seq}) ≠ stream's last (${e.attempt}, ${e.seq}, ${e.streamSeq})`,
      );
    }
  }
  const jsm = await jetstreamManager(stack.nc);
  const ledgerConsumer = await jsm.consumers.info(stack.names.streams.ledger, stack.names.consumers.ledgerEvents);
  if (ledgerConsumer.num_pending !== 0 || ledgerConsumer.num_ack_pending !== 0) {
    problems.push(`ledger consumer: ${ledgerConsumer.num_pending} pending, ${ledgerConsumer.num_ack_pending} unacknowledged`);
  }
  const jobs = await jsm.streams.info(stack.names.streams.jobs);
  const workerConsumer = await jsm.consumers.info(stack.names.streams.jobs, stack.names.consumers.assignmentWorker);
  // a job left in OPS_JOBS is lost work unless the worker's consumer acknowledged it (its
  // sequence is below the ack floor) and its run is completed: then it is an orphan that
  // nats-server 2.9 kept after a SIGKILL (acked, never delivered again; nats-server PR #5227)
  let orphanJobs = 0;
  if (jobs.state.messages !== 0) {
    const statusOf = new Map(runs.map((r) => [r.id, r.status]));
    for (let seq = jobs.state.first_seq; seq <= jobs.state.last_seq; seq += 1) {
      const m = await jsm.streams.getMessage(stack.names.streams.jobs, { seq }).catch(() => null);
      if (!m) continue;
      const runId = m.json<{ run_id: string }>().run_id;
      if (seq <= workerConsumer.ack_floor.stream_seq && statusOf.get(runId) === 'completed') orphanJobs += 1;
      else
        problems.push(
          `OPS_JOBS seq ${seq} (run ${runId}, ${statusOf.get(runId) ?? 'unknown run'}) is neither acknowledged nor done (ack floor ${workerConsumer.ack_floor.stream_seq})`,
        );
    }
  }
  if (workerConsumer.num_pending !== 0 || workerConsumer.num_ack_pending !== 0) {
    problems.push(`worker consumer: ${workerConsumer.num_pending} pending, ${workerConsumer.num_ack_pending} unacknowledged`);
  }
  const dlq = await jsm.streams.info(stack.names.streams.dlq);
  if (dlq.state.messages !== 0) problems.push(`${dlq.state.messages} dead letter(s)`);

  // housekeeping's own runs count what they healed (processed)
  const [hk] = await stack.sql<{ healed: string | null }>(
    `SELECT sum((summary_counts->>'processed')::int) AS healed FROM operation_runs WHERE type = 'ops.reconcile_adapter_runs'`,
  );
  const output = stack.processes.map((p) => p.output()).join('\n');
  const maxAttempt = Math.max(0, ...runs.map((r) => r.attempt));
  return {
    runs,
    problems,
    outcomes,
    healedRunsClosed,
    healedByHousekeeping: Number(hk?.healed ?? 0),
    // deliveries beyond the first of every job ever stored (consumer sequence counts redeliveries)
    redeliveries: Math.max(0, workerConsumer.delivered.consumer_seq - jobs.state.last_seq),
    runsWithRetries: [...attemptsSeen.values()].filter((s) => s.size > 1).length,
    maxAttempt,
    ledgerEvents: events.length,
    deadLetters: dlq.state.messages,
    duplicates: (output.match(/duplicate job acknowledged without executing/g) ?? []).length,
    takeovers: (output.match(/took over a stale lease of this run/g) ?? []).length,
    orphanJobs,
  };
}

/** Waits (bounded) for every run to be completed and for the queues to drain, then verifies. */
export async function settleAndVerify(
  stack: ChaosStack,
  dispatched: DispatchStats,
  timeoutMs: number,
): Promise<{ verdict: Verdict; allTerminalAt: number }> {
  await waitCompletedAtLeast(stack, RUNS, timeoutMs);
  const allTerminalAt = Date.now();
  // give the last acks and the ledger's last batch a moment; OPS_JOBS drains once every job is acked.
  // 60 s = twice the ledger consumer's 30 s ack wait: an event whose delivery was cut by a fault
  // (and that is already applied through another delivery) is redelivered and acked only after it
  const jsm = await jetstreamManager(stack.nc);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const worker = await jsm.consumers.info(stack.names.streams.jobs, stack.names.consumers.assignmentWorker).catch(() => null);
    const ledger = await jsm.consumers.info(stack.names.streams.ledger, stack.names.consumers.ledgerEvents).catch(() => null);
    if (worker?.num_pending === 0 && worker.num_ack_pending === 0 && ledger?.num_pending === 0 && ledger.num_ack_pending === 0) break;
    await sleep(200);
  }
  return { verdict: await verify(stack, dispatched), allTerminalAt };
}

export function figuresOf(
  stack: ChaosStack,
  seed: number,
  faults: string[],
  dispatched: DispatchStats,
  verdict: Verdict,
  allTerminalAt: number,
  wallStart: number,
): Figures {
  return {
    scenario: stack.scenario,
    seed,
    runs: verdict.runs.length,
    faults,
    kills_or_restarts: faults.length,
    seconds_to_all_terminal: round1((allTerminalAt - dispatched.startedAt) / 1000),
    dispatch_retries: dispatched.retries,
    dispatch_seconds: round1((dispatched.finishedAt - dispatched.startedAt) / 1000),
    outcomes: verdict.outcomes,
    healed_by_housekeeping: verdict.healedByHousekeeping,
    healed_runs_closed: verdict.healedRunsClosed,
    redeliveries: verdict.redeliveries,
    runs_with_more_than_one_attempt: verdict.runsWithRetries,
    max_attempt: verdict.maxAttempt,
    duplicate_jobs_acknowledged: verdict.duplicates,
    stale_lease_takeovers: verdict.takeovers,
    ledger_events: verdict.ledgerEvents,
    dead_letters: verdict.deadLetters,
    orphan_jobs_left_by_nats: verdict.orphanJobs,
    wall_seconds: round1((Date.now() - wallStart) / 1000),
  };
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

export interface ScenarioOptions {
  readonly scenario: string;
  readonly seed: number;
  /** how many faults; each fires once the completed count passes a PRNG-drawn point */
  readonly faults: number;
  /** the fault: returns what was done (for the figures); may use the PRNG */
  inject(stack: ChaosStack, index: number, random: () => number): Promise<string>;
  /** bound for all-terminal after the last dispatch */
  readonly settleTimeoutMs?: number;
}

/**
 * One scenario end to end: start the stack, dispatch 1,000 runs while the
 * faults fire at seeded points of progress (a share of the runs completed,
 * between 5 % and 85 %), wait for all-terminal, verify, publish the figures.
 */
export async function runScenario(options: ScenarioOptions): Promise<{ figures: Figures; verdict: Verdict }> {
  const wallStart = Date.now();
  const random = prng(options.seed);
  const points = Array.from({ length: options.faults }, () => Math.floor(RUNS * (0.05 + random() * 0.8))).sort((a, b) => a - b);
  process.stdout.write(
    `chaos ${options.scenario}: seed ${options.seed} (CHAOS_SEED=${options.seed} replays it), fault points at ${points.join(', ')} completed runs\n`,
  );
  const stack = await startChaosStack(options.scenario);
  try {
    const faults: string[] = [];
    let faultError: unknown;
    const dispatching = dispatchAll(stack);
    const injecting = (async () => {
      for (let i = 0; i < points.length; i += 1) {
        await waitCompletedAtLeast(stack, points[i]!, 240_000);
        const what = await options.inject(stack, i, random);
        faults.push(`at ${points[i]} completed: ${what}`);
        process.stdout.write(`chaos ${options.scenario}: ${what}\n`);
      }
    })().catch((err: unknown) => {
      faultError = err;
    });
    const monitor = startMonitor(stack, options.scenario);
    const dispatched = await dispatching;
    await injecting;
    if (faultError) throw faultError;
    const { verdict, allTerminalAt } = await settleAndVerify(stack, dispatched, options.settleTimeoutMs ?? 180_000).finally(() =>
      clearInterval(monitor),
    );
    const figures = figuresOf(stack, options.seed, faults, dispatched, verdict, allTerminalAt, wallStart);
    publishFigures(figures);
    dumpLogs(stack);
    if (verdict.problems.length > 0)
      process.stdout.write(
        `chaos ${options.scenario}: ${verdict.problems.length} problem(s):\n${verdict.problems.slice(0, 50).join('\n')}\n`,
      );
    return { figures, verdict };
  } catch (err) {
    dumpLogs(stack);
    await explainStuck(stack).catch((e: unknown) => process.stderr.write(`(could not explain: ${String(e)})\n`));
    const tail = stack.processes.flatMap((p) => p.output().split('\n').slice(-15));
    process.stderr.write(`--- chaos ${options.scenario}: service logs (tail) ---\n${tail.join('\n')}\n`);
    throw err;
  } finally {
    await stack.close();
  }
}

/** Every 5 s: completed runs, jobs waiting in OPS_JOBS, events the ledger has not applied yet. */
function startMonitor(stack: ChaosStack, scenario: string): NodeJS.Timeout {
  const started = Date.now();
  return setInterval(() => {
    void (async () => {
      const done = await completedCount(stack).catch(() => -1);
      const jsm = await jetstreamManager(stack.nc).catch(() => null);
      const jobs = await jsm?.streams.info(stack.names.streams.jobs).catch(() => null);
      const ledger = await jsm?.consumers.info(stack.names.streams.ledger, stack.names.consumers.ledgerEvents).catch(() => null);
      process.stdout.write(
        `chaos ${scenario}: t+${Math.round((Date.now() - started) / 1000)}s completed ${done} jobs-in-stream ${jobs?.state.messages ?? '?'} ledger-pending ${ledger ? ledger.num_pending + ledger.num_ack_pending : '?'}\n`,
      );
    })();
  }, 5_000);
}

/** CHAOS_LOG_DIR=<dir>: every service process's output is written there (evidence for a failed or slow run). */
export function dumpLogs(stack: ChaosStack): void {
  const dir = process.env['CHAOS_LOG_DIR'];
  if (!dir || !existsSync(dir)) return;
  for (const [i, p] of stack.processes.entries()) writeFileSync(join(dir, `${stack.scenario}-${i}-${p.child.pid}.log`), p.output());
}

/** Evidence for runs that never completed: their rows, their jobs' delivery state, what the services logged about them. */
async function explainStuck(stack: ChaosStack): Promise<void> {
  const stuck = await stack.sql<{ id: string; status: string; attempt: number; event_seq: number; created_at: Date; updated_at: Date }>(
    `SELECT id, status, attempt, event_seq, created_at, updated_at FROM operation_runs WHERE type = 'assignments.fetch' AND status <> 'completed' LIMIT 10`,
  );
  const jsm = await jetstreamManager(stack.nc);
  const consumer = await jsm.consumers.info(stack.names.streams.jobs, stack.names.consumers.assignmentWorker);
  const jobs = await jsm.streams.info(stack.names.streams.jobs);
  const lines = [
    `worker consumer: max_deliver ${consumer.config.max_deliver}, delivered stream ${consumer.delivered.stream_seq}, ack floor ${consumer.ack_floor.stream_seq}, pending ${consumer.num_pending}, ack pending ${consumer.num_ack_pending}, redelivered ${consumer.num_redelivered}; OPS_JOBS ${jobs.state.messages} msg(s) ${jobs.state.first_seq}..${jobs.state.last_seq}`,
  ];
  for (const r of stuck) {
    lines.push(`stuck run ${r.id}: ${r.status}, attempt ${r.attempt}, seq ${r.event_seq}, created ${new Date(r.created_at).toISOString()}`);
    for (const p of stack.processes) {
      for (const l of p.output().split('\n')) if (l.includes(r.id)) lines.push(`  ${l.slice(0, 400)}`);
    }
  }
  process.stderr.write(`--- chaos ${stack.scenario}: runs not completed ---\n${lines.join('\n')}\n`);
}
