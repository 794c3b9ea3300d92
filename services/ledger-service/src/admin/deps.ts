import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { Names } from '@ops/contracts';
import type { Logger } from '@ops/logging';
import type { Clock } from '../domain/clock.ts';
import type { EnsureBatcher } from '../handlers/ensure-batcher.ts';
import type { JobSeqRecorder } from '../handlers/job-seqs.ts';
import type { LedgerMetrics } from '../metrics.ts';
import type { ActionsRepository } from '../repositories/actions-repository.ts';
import type { RunsRepository } from '../repositories/runs-repository.ts';

/** What the operator actions (ops.ledger.admin.*) work with. */
export interface AdminDeps {
  readonly names: Names;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** the locks bucket, leader reads (openLocksBucket) */
  readonly locks: KV;
  readonly repo: RunsRepository;
  readonly actions: ActionsRepository;
  /** the job sequences not written yet: a cancel flushes them before it looks one up */
  readonly jobSeqs: JobSeqRecorder;
  readonly ensurer: EnsureBatcher;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: LedgerMetrics;
  readonly maxRequestBytes: number;
  /** how long release_lock watches a running lease's revision before it judges the holder stale (≥ the workers' stale time) */
  readonly leaseStaleMs: number;
  /** how often it reads the revision meanwhile */
  readonly leasePollMs: number;
}
