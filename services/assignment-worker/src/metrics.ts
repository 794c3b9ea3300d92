import { Counter, Histogram, type Registry, registerBuildInfo } from '@ops/runtime';

/** assignment-worker's Prometheus metrics (prefixed ops_worker_), and ops_build_info. */
export function createWorkerMetrics(registry: Registry) {
  registerBuildInfo(registry, new URL('../package.json', import.meta.url));
  return {
    jobs: new Counter({
      name: 'ops_worker_jobs_total',
      help: 'jobs by type and result (succeeded, partially_succeeded, failed, retry)',
      labelNames: ['type', 'result'] as const,
      registers: [registry],
    }),
    items: new Counter({
      name: 'ops_worker_items_total',
      help: 'policies processed or failed',
      labelNames: ['type', 'result'] as const,
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'ops_worker_duplicates_total',
      help: 'job messages acknowledged without executing (execution-time dedupe), by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    leases: new Counter({
      name: 'ops_worker_lease_events_total',
      help: 'lease acquired, takeover (stale lease of the same run), lost, released',
      labelNames: ['event'] as const,
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'ops_worker_dead_letters_total',
      help: 'job messages copied to OPS_DLQ, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    ledgerRetries: new Counter({
      name: 'ops_worker_ledger_retries_total',
      help: 'get_run calls retried in place because the ledger was unavailable (the job is held, not nak-ed)',
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'ops_worker_job_duration_seconds',
      help: 'execution time of an attempt',
      labelNames: ['type'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
  };
}
export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
