import { type Env, intKey, loadConfig, sharedKeys } from '@ops/config';
import { z } from 'zod';

const url = (what: string) => z.string().regex(/^https?:\/\/[^\s]+$/, `must be an http(s) URL (${what})`);

/** assignment-worker configuration: the shared keys plus its own (README lists them all). */
export const workerConfigSchema = z.object({
  ...sharedKeys,
  HTTP_PORT: intKey(8082, 0, 65535).describe('HTTP port for /healthz, /readyz, /metrics (assignment-worker)'),
  /** jobs executed at once by one worker process */
  WORKER_CONCURRENCY: intKey(4, 1, 256).describe('jobs one assignment-worker executes at once'),
  /** deliveries of a job before a transient failure becomes terminal (the consumer's own max_deliver is unlimited) */
  WORKER_MAX_DELIVER: intKey(5, 1, 100).describe('attempts per job before a transient failure ends the run as failed'),
  /** JetStream ack wait; working() extends it while the job runs */
  WORKER_ACK_WAIT_MS: intKey(30_000, 1_000, 600_000).describe('JetStream ack wait of a job (ms); heartbeats extend it'),
  /** lease renewal (CAS) and msg.working() interval */
  WORKER_HEARTBEAT_MS: intKey(2_000, 100, 60_000).describe('lease renewal and working() interval (ms)'),
  /** a lease whose heartbeat is older than this may be taken over by a redelivery of the same run */
  WORKER_LEASE_STALE_MS: intKey(10_000, 500, 600_000).describe(
    'a lease not renewed for this long is stale (ms); must exceed 2 × WORKER_HEARTBEAT_MS',
  ),
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

export function loadWorkerConfig(env?: Env): Readonly<WorkerConfig> {
  const config = loadConfig(workerConfigSchema, env);
  if (config.WORKER_LEASE_STALE_MS <= 2 * config.WORKER_HEARTBEAT_MS) {
    throw new Error('invalid configuration:\n  - WORKER_LEASE_STALE_MS: must exceed 2 × WORKER_HEARTBEAT_MS');
  }
  return config;
}
