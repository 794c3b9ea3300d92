import type { JetStreamManager } from '@nats-io/jetstream';
import type { Names } from '@ops/contracts';
import type { Logger } from '@ops/logging';
import { Gauge, type Registry } from '@ops/runtime';

/**
 * Gauges read from JetStream when Prometheus scrapes: the jobs backlog, the
 * age of the oldest job, the ledger's event lag and the dead letters held.
 *
 * Housekeeping exports them because its NATS user may read exactly this
 * (deploy/nats/permissions.ts: STREAM.INFO of the three streams, CONSUMER.INFO
 * of ledger-events) and because it is not the process being watched: a
 * wedged ledger still has its lag reported. Every replica exports the same
 * values; the alerts take the max.
 */
export interface BusReading {
  /** messages in OPS_JOBS not yet acknowledged: a work queue keeps a job until a worker acks it */
  readonly jobsBacklog: number;
  /** age of the oldest of them (waiting or in execution), 0 when none */
  readonly oldestJobSeconds: number;
  /** ledger-events consumer: not yet delivered + delivered but not acknowledged */
  readonly ledgerLag: number;
  /** messages held in OPS_DLQ, by origin (the last subject token) */
  readonly deadLetters: Readonly<Record<string, number>>;
}

/** One look at the streams: three JetStream API requests. */
export async function readBus(jsm: JetStreamManager, names: Names, now: Date = new Date()): Promise<BusReading> {
  const [jobs, ledger, dlq] = await Promise.all([
    jsm.streams.info(names.streams.jobs),
    jsm.consumers.info(names.streams.ledger, names.consumers.ledgerEvents),
    // per-subject counts: an origin per subject, at most three
    jsm.streams.info(names.streams.dlq, { subjects_filter: names.dlqWildcard }),
  ]);
  const deadLetters: Record<string, number> = {};
  for (const [subject, count] of Object.entries(dlq.state.subjects ?? {})) {
    deadLetters[subject.slice(subject.lastIndexOf('.') + 1)] = count;
  }
  const oldest = jobs.state.messages > 0 ? (now.getTime() - Date.parse(jobs.state.first_ts)) / 1000 : 0;
  return {
    jobsBacklog: jobs.state.messages,
    oldestJobSeconds: Math.max(0, oldest),
    ledgerLag: ledger.num_pending + ledger.num_ack_pending,
    deadLetters,
  };
}

export interface BusMetricsOptions {
  readonly names: Names;
  readonly read: () => Promise<BusReading>;
  readonly logger?: Logger;
  /** a scrape waits at most this long for NATS; after it the gauges are absent and ops_bus_read_ok is 0 */
  readonly timeoutMs?: number;
  /** one reading serves every gauge of a scrape, and scrapes this close together (two Prometheus replicas) */
  readonly cacheMs?: number;
  readonly now?: () => number;
}

/** Registers the bus gauges; each reads the shared, cached reading on scrape (prom-client's collect()). */
export function registerBusMetrics(registry: Registry, options: BusMetricsOptions): void {
  const { names } = options;
  const reading = cachedReading(options);
  const jobsLabels = { stream: names.streams.jobs };
  /** a gauge of the reading: absent (no samples) when the read failed, never a stale value */
  const fromReading = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    samples: (r: BusReading) => ReadonlyArray<[Partial<Record<L, string>>, number]>,
  ) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const r = await reading();
        this.reset();
        if (r) for (const [labels, value] of samples(r)) this.set(labels, value);
      },
    });
  fromReading(
    'ops_jobs_backlog_messages',
    'jobs in OPS_JOBS not yet acknowledged by a worker (waiting or in execution)',
    ['stream'],
    (r) => [[jobsLabels, r.jobsBacklog]],
  );
  fromReading(
    'ops_jobs_oldest_queued_seconds',
    'age of the oldest job in OPS_JOBS not yet acknowledged (0 when there is none)',
    ['stream'],
    (r) => [[jobsLabels, r.oldestJobSeconds]],
  );
  fromReading(
    'ops_ledger_events_lag_messages',
    'OPS_LEDGER events the ledger has not applied yet (ledger-events consumer: pending + ack pending)',
    ['stream', 'consumer'],
    (r) => [[{ stream: names.streams.ledger, consumer: names.consumers.ledgerEvents }, r.ledgerLag]],
  );
  fromReading('ops_dlq_messages', 'messages held in OPS_DLQ, by origin (ledger, assignment-worker, housekeeping)', ['origin'], (r) =>
    Object.entries(r.deadLetters).map(([origin, count]) => [{ origin }, count]),
  );
  new Gauge({
    name: 'ops_bus_read_ok',
    help: '1 when the last read of the streams for the gauges above succeeded in time, 0 when it failed (they are absent then)',
    registers: [registry],
    async collect() {
      this.set((await reading()) ? 1 : 0);
    },
  });
}

/** The reading, shared for `cacheMs`; a read failing or exceeding `timeoutMs` is null (logged). */
function cachedReading(options: BusMetricsOptions): () => Promise<BusReading | null> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const cacheMs = options.cacheMs ?? 5_000;
  const now = options.now ?? Date.now;
  let last: { at: number; value: Promise<BusReading | null> } | null = null;
  return () => {
    const at = now();
    if (last && at - last.at < cacheMs) return last.value;
    const value = withTimeout(options.read(), timeoutMs).catch((err: unknown) => {
      options.logger?.warn({ err }, 'reading the streams for the bus metrics failed');
      return null;
    });
    last = { at, value };
    return value;
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from NATS within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
