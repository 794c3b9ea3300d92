import type { JetStreamClient } from '@nats-io/jetstream';
import type { Names } from '@ops/contracts';
import type { Pool } from '@ops/db/pg';
import type { GraphClient } from '@ops/graph';
import type { LedgerClient } from '@ops/ledger-client';
import type { Logger } from '@ops/logging';
import type { Leases } from '../domain/leases.ts';
import type { WorkerMetrics } from '../metrics.ts';
import type { Snapshots } from '../repositories/snapshots.ts';

// What one job's processing needs and what it answers, shared by the pull loop
// (handlers/jobs-consumer.ts), the job's decisions (handlers/process-job.ts)
// and the attempt (work/execute.ts) — here so that none imports another back.

/** Pull requests wait this long for a message. */
export const PULL_EXPIRES_MS = 2_000;
/**
 * A job handed back on shutdown is redelivered only after our own pending
 * pull requests expired — otherwise they would receive it again, hand it back
 * again, and burn its delivery attempts.
 */
export const HAND_BACK_DELAY_MS = PULL_EXPIRES_MS + 500;

export interface WorkerDeps {
  readonly js: JetStreamClient;
  readonly names: Names;
  readonly leases: Leases;
  readonly ledger: LedgerClient;
  readonly graph: GraphClient;
  /** the worker's own PostgreSQL role: tenancy reads and its snapshots */
  readonly db: Pool;
  readonly snapshots: Snapshots;
  readonly logger: Logger;
  readonly metrics: WorkerMetrics;
  readonly owner: string;
  readonly secrets: readonly string[];
  readonly settings: {
    /** attempts per run (the lease's attempt numbers); a transient failure on the last one ends the run failed */
    readonly maxAttempts: number;
    readonly heartbeatMs: number;
    /** a lease seen unchanged this long (on this worker's monotonic clock) is stale */
    readonly staleMs: number;
    /** a holder stops this long after its last successful renewal was sent */
    readonly fenceMs: number;
    /** a renewal not answered within this long failed */
    readonly renewTimeoutMs: number;
    readonly progressEvery: number;
  };
  /** the ledger has applied OPS_LEDGER up to now (a look, no waiting) */
  readonly ledgerCaughtUp: () => Promise<boolean>;
  /** the NATS connection is up now (nothing is sent while it is not: nats.js would deliver it late) */
  readonly connected: () => boolean;
  readonly now: () => Date;
}

export type JobResult = 'completed' | 'skipped' | 'duplicate' | 'retry' | 'wait' | 'released' | 'lease_lost' | 'dead_letter';

/**
 * Sends an ack, nak or working() only while the NATS connection is up:
 * nats.js would buffer it through a reconnect and deliver it later — perhaps
 * after the message went to another worker, whose delivery it would then
 * settle. Unsent, the message simply comes back after its ack wait.
 */
export function settle(deps: Pick<WorkerDeps, 'connected'>, send: () => void): boolean {
  if (!deps.connected()) return false;
  send();
  return true;
}
