import { isOpsError } from '@ops/contracts';
import type { Logger } from '@ops/logging';
import type { EnsureCommand, EnsureResult } from '../repositories/ensure-runs.ts';
import type { RunRow } from '../repositories/run-view.ts';
import type { RunsRepository } from '../repositories/runs-repository.ts';
import type { StoredJobSeq } from './job-seqs.ts';
import type { StoredJob } from './jobs.ts';

export interface EnsureAnswer extends EnsureResult {
  /** the ledger stored the run's job while answering */
  readonly published: boolean;
}

export interface EnsureBatcher {
  ensure(command: EnsureCommand): Promise<EnsureAnswer>;
}

interface Waiting {
  readonly command: EnsureCommand;
  resolve(answer: EnsureAnswer): void;
  reject(err: unknown): void;
}

/**
 * Group commit of ensure_run (issue #18): the requests that arrive together
 * — those one socket read delivers, before the event loop turns — become ONE
 * statement (repositories/ensure-runs.ts); at most `maxConcurrent` batches
 * run at once and the next one collects whatever arrives meanwhile. After a
 * batch commits, the jobs it owes are published at once, pipelined, and each
 * request is answered once its job is stored:
 *
 * - a created tenant-scoped run: its job, generation 1; if JetStream does not
 *   store it, the row says so (job_generation 0) and the answer says
 *   `published: false`;
 * - an active run still queued whose job was never stored (job_generation 0):
 *   its job now (a retried dispatch), generation 2 — a re-publish, so the
 *   worker reads the run before executing it — and only once the ledger's
 *   event consumer has applied OPS_LEDGER up to now: a publish whose PubAck
 *   was lost may have stored the job after all, and its run may have a stored
 *   completion not yet applied (issue #15).
 */
export function createEnsureBatcher(deps: {
  readonly repo: RunsRepository;
  readonly now: () => Date;
  readonly publishJob: (row: RunRow, generation: number) => Promise<StoredJob>;
  /** the event consumer has applied OPS_LEDGER up to now (asked only when a queued run may get its job again) */
  readonly eventsCaughtUp: () => Promise<boolean>;
  readonly logger: Logger;
  readonly maxBatch: number;
  readonly maxConcurrent: number;
  /** observes every batch's size (metrics) */
  readonly onBatch?: (size: number) => void;
  /** the jobs a batch stored and their OPS_JOBS sequences, once its callers were answered */
  readonly onStored?: (jobs: StoredJobSeq[]) => void;
}): EnsureBatcher {
  const waiting: Waiting[] = [];
  let running = 0;
  let scheduled = false;

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    // after the current I/O callbacks: every request of this socket read is in the batch
    setImmediate(pump);
  };
  const pump = () => {
    scheduled = false;
    while (running < deps.maxConcurrent && waiting.length > 0) {
      const batch = waiting.splice(0, deps.maxBatch);
      running += 1;
      void run(batch).finally(() => {
        running -= 1;
        if (waiting.length > 0) schedule();
      });
    }
  };

  const run = async (batch: Waiting[]) => {
    deps.onBatch?.(batch.length);
    let outcomes: Awaited<ReturnType<RunsRepository['ensureRuns']>>;
    try {
      outcomes = await deps.repo.ensureRuns(
        batch.map((w) => w.command),
        deps.now(),
      );
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    // one publish per run, whichever requests of the batch it answers; one look at the event consumer per batch
    const publishes = new Map<string, Promise<boolean>>();
    const stored: StoredJobSeq[] = [];
    let caughtUp: Promise<boolean> | undefined;
    const mayRepublish = () => {
      caughtUp ??= deps.eventsCaughtUp().catch(() => false);
      return caughtUp;
    };
    await Promise.all(
      outcomes.map(async (outcome, i) => {
        const w = batch[i]!;
        if (isOpsError(outcome)) {
          w.reject(outcome);
          return;
        }
        const due = jobDue(outcome) && (outcome.disposition === 'created' || (await mayRepublish()));
        if (!due) {
          w.resolve({ ...outcome, published: false });
          return;
        }
        let publish = publishes.get(outcome.row.id);
        if (!publish) {
          publish = publishOwed(outcome.row, outcome.disposition === 'created' ? 1 : 2, stored);
          publishes.set(outcome.row.id, publish);
        }
        w.resolve({ ...outcome, published: await publish });
      }),
    );
    if (stored.length > 0) deps.onStored?.(stored);
  };

  /** publishes a job the ledger owes; whether it is stored now (a failure is recorded on the row) */
  const publishOwed = async (row: RunRow, generation: number, stored: StoredJobSeq[]): Promise<boolean> => {
    try {
      const job = await deps.publishJob(row, generation);
      if (job.seq !== null) stored.push({ id: row.id, seq: job.seq });
      if (row.job_generation !== generation) await deps.repo.setJobGeneration(row.id, generation);
      return true;
    } catch (err) {
      deps.logger.error({ err, runId: row.id }, 'the job of a run could not be stored; a retried dispatch or housekeeping publishes it');
      await deps.repo
        .setJobGeneration(row.id, 0)
        .catch((markErr: unknown) => deps.logger.warn({ err: markErr, runId: row.id }, 'could not record that the job was not stored'));
      return false;
    }
  };

  return {
    ensure(command) {
      return new Promise<EnsureAnswer>((resolve, reject) => {
        waiting.push({ command, resolve, reject });
        schedule();
      });
    },
  };
}

/** the job this answer owes: a created tenant-scoped run's, or an active queued run's never stored */
function jobDue(outcome: EnsureResult): boolean {
  if (outcome.row.tenant_id === null) return false;
  if (outcome.disposition === 'created') return true;
  return outcome.disposition === 'active' && outcome.row.status === 'queued' && outcome.row.job_generation === 0;
}
