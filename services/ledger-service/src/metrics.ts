import { Counter, Histogram, type Registry, registerBuildInfo } from '@ops/runtime';

/** Seconds, from instant to hours: a run may wait behind a backlog, an attempt may page through thousands of policies. */
const RUN_SECONDS_BUCKETS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200];

/** The ledger's Prometheus metrics (all prefixed ops_ledger_), and ops_build_info. */
export function createLedgerMetrics(registry: Registry) {
  registerBuildInfo(registry, new URL('../package.json', import.meta.url));
  return {
    apiRequests: new Counter({
      name: 'ops_ledger_api_requests_total',
      help: 'ops.ledger.api requests by endpoint and result code',
      labelNames: ['endpoint', 'result'] as const,
      registers: [registry],
    }),
    apiDuration: new Histogram({
      name: 'ops_ledger_api_duration_seconds',
      help: 'ops.ledger.api handling time',
      labelNames: ['endpoint'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    dispositions: new Counter({
      name: 'ops_ledger_ensure_dispositions_total',
      help: 'ensure_run outcomes: created, active (duplicate of a running run), cooldown',
      labelNames: ['type', 'disposition'] as const,
      registers: [registry],
    }),
    executionDuplicates: new Counter({
      name: 'ops_ledger_execution_duplicates_total',
      help: 'duplicate jobs workers acked without executing, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    events: new Counter({
      name: 'ops_ledger_events_total',
      help: 'ledger events by kind and what happened to them (applied, duplicate, stale_attempt, …)',
      labelNames: ['kind', 'result'] as const,
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'ops_ledger_dead_letters_total',
      help: 'messages copied to OPS_DLQ by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    ensureBatchSize: new Histogram({
      name: 'ops_ledger_ensure_batch_size',
      help: 'ensure_run requests per statement (group commit)',
      buckets: [1, 2, 5, 10, 25, 50, 64],
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'ops_ledger_event_batch_size',
      help: 'events per applied batch (one read, one conditional write)',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
      registers: [registry],
    }),
    eventRereads: new Counter({
      name: 'ops_ledger_event_rereads_total',
      help: 'rows an event batch read again because another writer changed them between its read and its conditional write',
      registers: [registry],
    }),
    batchFailures: new Counter({
      name: 'ops_ledger_event_batch_failures_total',
      help: 'batches whose write failed (events nak-ed for redelivery, or applied one by one after a data error)',
      registers: [registry],
    }),
    // the run metrics below are observed where the ledger applies an event (run-metrics.ts): once
    // per change of a run's state, whichever worker or replica sent it, and from the row it read anyway
    queueWait: new Histogram({
      name: 'ops_ledger_run_queue_wait_seconds',
      help: "from a run's creation to its first start (heals excluded)",
      labelNames: ['type'] as const,
      buckets: RUN_SECONDS_BUCKETS,
      registers: [registry],
    }),
    runDuration: new Histogram({
      name: 'ops_ledger_run_duration_seconds',
      help: "from a run's first start to its completion (heals excluded)",
      labelNames: ['type'] as const,
      buckets: RUN_SECONDS_BUCKETS,
      registers: [registry],
    }),
    runsCompleted: new Counter({
      name: 'ops_ledger_runs_completed_total',
      help: 'completions applied, by type and outcome (a heal, and a real completion that later replaces it, each count)',
      labelNames: ['type', 'outcome'] as const,
      registers: [registry],
    }),
    runFailures: new Counter({
      name: 'ops_ledger_run_failures_total',
      help: "applied completions naming a failure code: one per entry of the run's failure_summary",
      labelNames: ['type', 'code'] as const,
      registers: [registry],
    }),
  };
}
export type LedgerMetrics = ReturnType<typeof createLedgerMetrics>;
