import { type ConsumerInfo, type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { HEADERS } from '@ops/contracts';
import { sleep } from '@ops/test-support';
import type { DispatchStats } from './dispatch.ts';
import { waitCompletedAtLeast } from './progress.ts';
import { type ChaosStack, RUNS } from './stack.ts';

// The final verification: every invariant checked once the runs are terminal and the queues drained.

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
      // a deleted sequence answers null (a gap); an error (a node not ready yet after a heal) fails
      // the read, and verifyRetryingReads decides whether to try again
      seqs.slice(i, i + 32).map((seq) => jsm.streams.getMessage(stack.names.streams.ledger, { seq })),
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
  const probe = await stack.graph.probe();
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
    const truth = (await stack.graph.truth(target.tenantExternalId, target.policyExternalId)).map((a) => a.id);
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
  // housekeeping keeps publishing its own runs' events: the ledger consumer is settled when it
  // has acknowledged everything up to what the stream held when its events were read above
  const ledgerLast = Math.max(0, ...events.map((e) => e.streamSeq));
  const ledgerConsumer = await caughtUp(jsm, stack.names.streams.ledger, stack.names.consumers.ledgerEvents, ledgerLast);
  if (!settled(ledgerConsumer, ledgerLast)) {
    problems.push(
      `ledger consumer: ${ledgerConsumer.num_pending} pending, ${ledgerConsumer.num_ack_pending} unacknowledged after ${CATCH_UP_MS} ms (delivered ${ledgerConsumer.delivered.stream_seq}, ack floor ${ledgerConsumer.ack_floor.stream_seq}, last event read ${ledgerLast}, redelivered ${ledgerConsumer.num_redelivered}, waiting pulls ${ledgerConsumer.num_waiting}, leader ${ledgerConsumer.cluster?.leader ?? '-'})`,
    );
  }
  const jobs = await jsm.streams.info(stack.names.streams.jobs);
  const workerConsumer = await caughtUp(jsm, stack.names.streams.jobs, stack.names.consumers.assignmentWorker, jobs.state.last_seq);
  // a job left in OPS_JOBS is lost work unless the worker's consumer acknowledged it (its
  // sequence is below the ack floor) and its run is completed: then it is an orphan that
  // nats-server 2.9 kept after a SIGKILL (acked, never delivered again; nats-server PR #5227)
  let orphanJobs = 0;
  if (jobs.state.messages !== 0) {
    const statusOf = new Map(runs.map((r) => [r.id, r.status]));
    for (let seq = jobs.state.first_seq; seq <= jobs.state.last_seq; seq += 1) {
      const m = await jsm.streams.getMessage(stack.names.streams.jobs, { seq });
      if (!m) continue;
      const runId = m.json<{ run_id: string }>().run_id;
      if (seq <= workerConsumer.ack_floor.stream_seq && statusOf.get(runId) === 'completed') orphanJobs += 1;
      else
        problems.push(
          `OPS_JOBS seq ${seq} (run ${runId}, ${statusOf.get(runId) ?? 'unknown run'}) is neither acknowledged nor done (ack floor ${workerConsumer.ack_floor.stream_seq})`,
        );
    }
  }
  if (!settled(workerConsumer, jobs.state.last_seq)) {
    problems.push(
      `worker consumer: ${workerConsumer.num_pending} pending, ${workerConsumer.num_ack_pending} unacknowledged after ${CATCH_UP_MS} ms`,
    );
  }
  const dlq = await jsm.streams.info(stack.names.streams.dlq);
  if (dlq.state.messages !== 0) problems.push(`${dlq.state.messages} dead letter(s): ${await describeDeadLetters(jsm, stack, dlq.state)}`);

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

/**
 * How long a consumer may take to acknowledge what its stream held: a pull
 * request lost in a leader change is noticed within 15 s (libs/nats
 * batch-consumer.ts), then the message waits at most one batch.
 */
const CATCH_UP_MS = 30_000;

/** Nothing unacknowledged, and nothing pending up to `lastSeq` (what arrived after it is not this verification's). */
function settled(info: ConsumerInfo, lastSeq: number): boolean {
  return info.num_ack_pending === 0 && (info.num_pending === 0 || info.ack_floor.stream_seq >= lastSeq);
}

/** The consumer's info once it has acknowledged every message up to `lastSeq` and holds none unacknowledged, or after CATCH_UP_MS. */
async function caughtUp(jsm: JetStreamManager, stream: string, consumer: string, lastSeq: number): Promise<ConsumerInfo> {
  const deadline = Date.now() + CATCH_UP_MS;
  for (;;) {
    const info = await jsm.consumers.info(stream, consumer);
    if (settled(info, lastSeq) || Date.now() > deadline) return info;
    await sleep(250);
  }
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
  // 120 s = four times the ledger consumer's 30 s ack wait: an event whose delivery was cut by a
  // fault (and that is already applied through another delivery) is redelivered and acked only
  // after it; after a partition the redelivery itself can land in a pull request of a client that
  // is gone and wait out one more ack wait (one CI run still had 1 unacknowledged after 60 s)
  // checkAPI false: no account-info request here (it would throw "JetStream system temporarily
  // unavailable" right after a heal); each read below tolerates that and is repeated
  const jsm = await jetstreamManager(stack.nc, { checkAPI: false });
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const worker = await jsm.consumers.info(stack.names.streams.jobs, stack.names.consumers.assignmentWorker).catch(() => null);
    const ledger = await jsm.consumers.info(stack.names.streams.ledger, stack.names.consumers.ledgerEvents).catch(() => null);
    if (worker?.num_pending === 0 && worker.num_ack_pending === 0 && ledger?.num_pending === 0 && ledger.num_ack_pending === 0) break;
    await sleep(200);
  }
  return { verdict: await verifyRetryingReads(stack, dispatched), allTerminalAt };
}

/**
 * verify() only reads; right after a partition heals or a node returns, the node the test's
 * own connection is on can answer "JetStream system temporarily unavailable" for a few seconds
 * (a fresh-clone CI run failed so, with all 1,000 runs completed). Such a read is retried for up
 * to 60 s; any other error, or one that outlasts that, fails the scenario.
 */
async function verifyRetryingReads(stack: ChaosStack, dispatched: DispatchStats): Promise<Verdict> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await verify(stack, dispatched);
    } catch (err) {
      const text = String((err as Error)?.message ?? err);
      if (Date.now() > deadline || !/temporarily unavailable|timeout|no responders/i.test(text)) throw err;
      process.stderr.write(`chaos ${stack.scenario}: verify's read failed (${text}); retrying\n`);
      await sleep(1_000);
    }
  }
}

/** what a failing verdict says of each dead letter (at most 5): where it came from, why, and the start of its payload */
async function describeDeadLetters(jsm: JetStreamManager, stack: ChaosStack, state: { first_seq: number; last_seq: number }) {
  const said: string[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && said.length < 5; seq += 1) {
    const m = await jsm.streams.getMessage(stack.names.streams.dlq, { seq }).catch(() => null);
    if (!m) continue;
    const h = (name: string) => m.header.get(name) || '-';
    said.push(
      `seq ${seq} ${m.subject}: ${h(HEADERS.dlqReason)} (${h(HEADERS.dlqDetail)}) from ${h(HEADERS.dlqOriginSubject)} ` +
        `${h(HEADERS.dlqOriginStream)}#${h(HEADERS.dlqOriginSeq)}, payload ${new TextDecoder().decode(m.data.subarray(0, 300))}`,
    );
  }
  return said.join('; ');
}
