import { Worker } from 'bullmq';
import { PgBoss } from 'pg-boss';
import { createPeerHandler, type PeerJob } from './peer-handler.ts';

/**
 * A peer's worker process (the bench starts one per run, like our
 * assignment-worker): `pg-boss` or `bullmq`, 16 jobs at once, running the
 * same handler (peer-handler.ts). Prints "peer-worker ready" when consuming.
 *
 * env: BENCH_PEER, BENCH_QUEUE, BENCH_DATABASE_URL (handler + pg-boss),
 * BENCH_REDIS_PORT (bullmq), BENCH_GRAPH_URL, BENCH_GRAPH_SECRET
 */
const env = (k: string): string => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is required`);
  return v;
};
const peer = env('BENCH_PEER');
const queue = env('BENCH_QUEUE');
const handler = createPeerHandler({
  databaseUrl: env('BENCH_DATABASE_URL'),
  graphUrl: env('BENCH_GRAPH_URL'),
  clientSecret: env('BENCH_GRAPH_SECRET'),
});
const stops: Array<() => Promise<void>> = [];

if (peer === 'pg-boss') {
  const boss = new PgBoss({ connectionString: env('BENCH_DATABASE_URL'), max: 10, schedule: false });
  boss.on('error', (err: Error) => process.stderr.write(`pg-boss error: ${err.message}\n`));
  await boss.start();
  // 8 pollers × batches of 2 = 16 jobs at once. With batchSize 1 a pg-boss
  // worker waits pollingIntervalSeconds (≥ 0.5 s) after every job, whatever
  // the backlog (burst mode needs full batches > 1): 16 × 1 would cap it at
  // 32 jobs/s. NOTIFY wakes idle pollers when jobs arrive.
  await boss.work<PeerJob>(
    queue,
    { localConcurrency: 8, batchSize: 2, burstWhenBatchFull: true, pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 0.5 },
    async (jobs) => {
      await Promise.all(jobs.map((j) => handler.handle(j.id, j.data)));
    },
  );
  stops.push(() => boss.stop({ graceful: true }));
} else if (peer === 'bullmq') {
  const worker = new Worker<PeerJob>(queue, async (job) => handler.handle(job.id ?? '', job.data), {
    connection: { host: '127.0.0.1', port: Number(env('BENCH_REDIS_PORT')), maxRetriesPerRequest: null },
    concurrency: 16,
  });
  worker.on('error', (err) => process.stderr.write(`bullmq error: ${err.message}\n`));
  await worker.waitUntilReady();
  stops.push(() => worker.close());
} else {
  throw new Error(`BENCH_PEER must be pg-boss or bullmq, not ${peer}`);
}
process.stdout.write('peer-worker ready\n');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  for (const s of stops) await s().catch(() => undefined);
  await handler.close().catch(() => undefined);
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
