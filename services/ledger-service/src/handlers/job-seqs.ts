import type { Logger } from '@ops/logging';

export interface StoredJobSeq {
  readonly id: string;
  readonly seq: number;
}

/**
 * Remembers the OPS_JOBS sequence each run's job was stored at — what a cancel
 * of a queued run deletes (issue #21). Off the run path: the sequences of many
 * ensure batches go to PostgreSQL in one statement, at most every `intervalMs`
 * (W1 at ~200 runs/s: one statement per ensure batch was +0.6 statements and
 * commits per run; this is ~0.02). A cancel flushes first, so it finds the
 * sequence of a job this replica stored a moment ago; a sequence never
 * recorded (a crash in between, another replica's pending flush) only means
 * the job is not deleted — the run's cancel marker still stops it.
 */
export interface JobSeqRecorder {
  add(jobs: readonly StoredJobSeq[]): void;
  /** writes what is pending (and waits for a write in flight) */
  flush(): Promise<void>;
}

export function createJobSeqRecorder(deps: {
  readonly write: (jobs: readonly StoredJobSeq[]) => Promise<void>;
  readonly logger: Logger;
  readonly intervalMs: number;
  /** flushed at once at this many */
  readonly max: number;
}): JobSeqRecorder {
  let pending: StoredJobSeq[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  const flush = (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length > 0) {
      const jobs = pending;
      pending = [];
      writing = writing.then(() =>
        deps.write(jobs).catch((err: unknown) => deps.logger.warn({ err, runs: jobs.length }, 'could not record job sequences')),
      );
    }
    return writing;
  };
  return {
    add(jobs) {
      pending.push(...jobs);
      if (pending.length >= deps.max) void flush();
      else if (!timer) {
        timer = setTimeout(() => void flush(), deps.intervalMs);
        timer.unref();
      }
    },
    flush,
  };
}
