import { type Env, intKey, loadConfig, sharedKeys } from '@ops/config';
import { z } from 'zod';

const url = (what: string) => z.string().regex(/^https?:\/\/[^\s]+$/, `must be an http(s) URL (${what})`);

/** assignment-worker configuration: the shared keys plus its own (README lists them all). */
export const workerConfigSchema = z.object({
  ...sharedKeys,
  HTTP_PORT: intKey(8082, 0, 65535).describe('HTTP port for /healthz, /readyz, /metrics (assignment-worker)'),
  /** jobs executed at once by one worker process */
  WORKER_CONCURRENCY: intKey(4, 1, 256).describe('jobs one assignment-worker executes at once'),
  /** attempts of a run before a transient failure becomes terminal (the consumer's own max_deliver is unlimited) */
  WORKER_MAX_DELIVER: intKey(5, 1, 100).describe('attempts per run before a transient failure ends the run as failed'),
  /** JetStream ack wait; working() extends it while the job runs */
  WORKER_ACK_WAIT_MS: intKey(30_000, 1_000, 600_000).describe('JetStream ack wait of a job (ms); heartbeats extend it'),
  /** lease renewal (CAS) and msg.working() interval */
  WORKER_HEARTBEAT_MS: intKey(2_000, 100, 60_000).describe('lease renewal and working() interval (ms)'),
  /** a lease seen unchanged this long on the observing worker's own monotonic clock may be taken over by its run's next attempt */
  WORKER_LEASE_STALE_MS: intKey(10_000, 500, 600_000).describe(
    "a lease whose revision stays the same this long, on the observing worker's own clock, is stale (ms)",
  ),
  /** the holder stops this long after its last successful renewal was sent */
  WORKER_LEASE_FENCE_MS: intKey(6_000, 100, 600_000).describe(
    'a lease holder stops all work this long after its last successful renewal was sent (ms); fence + renew timeout < stale',
  ),
  /** a renewal not answered within this long failed */
  WORKER_LEASE_RENEW_TIMEOUT_MS: intKey(2_000, 50, 60_000).describe('a lease renewal not answered within this long has failed (ms)'),
  /** progress event every N items */
  WORKER_PROGRESS_EVERY: intKey(1, 1, 10_000).describe('publish a progress event every N items'),
  /** grace period for in-flight jobs on SIGTERM before they are released */
  WORKER_SHUTDOWN_GRACE_MS: intKey(15_000, 0, 600_000).describe(
    'on SIGTERM, how long in-flight jobs may finish before they are released (ms)',
  ),
  GRAPH_AUTHORITY_URL: url('token authority')
    .default('http://127.0.0.1:8090')
    .describe('OAuth authority; https://login.microsoftonline.com in production'),
  GRAPH_BASE_URL: url('Graph API')
    .default('http://127.0.0.1:8090')
    .describe('Microsoft Graph base URL; https://graph.microsoft.com in production'),
  GRAPH_CLIENT_ID: z.string().min(1).default('ops-local').describe('app registration (client) id'),
  /** required: no default for a secret */
  GRAPH_CLIENT_SECRET: z
    .string()
    .min(8, 'required (at least 8 characters)')
    .describe('app registration client secret (required; from a Secret)'),
  GRAPH_TIMEOUT_MS: intKey(10_000, 100, 120_000).describe('timeout of one Graph request (ms)'),
  GRAPH_MAX_RETRIES: intKey(3, 0, 10).describe('retries of a throttled (429) or unavailable (5xx) Graph request'),
  GRAPH_MAX_RETRY_AFTER_MS: intKey(30_000, 0, 600_000).describe('cap on a Retry-After wait (ms)'),
  DB_POOL_MAX: intKey(10, 1, 100).describe('PostgreSQL pool size'),
});
export type WorkerConfig = z.infer<typeof workerConfigSchema>;

/**
 * The fencing timings must nest (docs/architecture.md, "Fencing"): an
 * observer judges a lease stale only after the holder's fence expired — the
 * fence runs from when the last good renewal was sent, and that write may
 * have taken up to the renewal timeout to land; a heartbeat renews well
 * inside the fence; the ack wait outlasts a heartbeat, so `working()` keeps
 * the job.
 */
export function timingProblems(
  c: Pick<
    WorkerConfig,
    'WORKER_HEARTBEAT_MS' | 'WORKER_LEASE_STALE_MS' | 'WORKER_LEASE_FENCE_MS' | 'WORKER_LEASE_RENEW_TIMEOUT_MS' | 'WORKER_ACK_WAIT_MS'
  >,
): string[] {
  const problems: string[] = [];
  if (c.WORKER_LEASE_FENCE_MS + c.WORKER_LEASE_RENEW_TIMEOUT_MS >= c.WORKER_LEASE_STALE_MS) {
    problems.push('WORKER_LEASE_FENCE_MS: fence + WORKER_LEASE_RENEW_TIMEOUT_MS must be less than WORKER_LEASE_STALE_MS');
  }
  if (c.WORKER_HEARTBEAT_MS >= c.WORKER_LEASE_FENCE_MS) problems.push('WORKER_HEARTBEAT_MS: must be less than WORKER_LEASE_FENCE_MS');
  if (c.WORKER_ACK_WAIT_MS <= c.WORKER_HEARTBEAT_MS) problems.push('WORKER_ACK_WAIT_MS: must exceed WORKER_HEARTBEAT_MS');
  return problems;
}

export function loadWorkerConfig(env?: Env): Readonly<WorkerConfig> {
  const config = loadConfig(workerConfigSchema, env);
  const problems = timingProblems(config);
  if (problems.length > 0) throw new Error(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return config;
}
