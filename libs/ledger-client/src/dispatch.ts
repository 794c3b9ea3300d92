import type { EnsureRunReplyV1, EnsureRunRequestInputV1, RunV1 } from '@ops/contracts';
import type { LedgerClient } from './client.ts';

export interface DispatchResult {
  readonly run: RunV1;
  readonly disposition: EnsureRunReplyV1['disposition'];
  /** the ledger stored the run's job while answering (see ensureRunReplyV1) */
  readonly published: boolean;
}

/**
 * The ledger created the run but could not store its job (JetStream
 * unavailable, timeout): the run exists and is `queued`. `run` says which.
 * A retried dispatch makes the ledger publish it; so does housekeeping.
 */
export class JobPublishError extends Error {
  override readonly name = 'JobPublishError';
  readonly run: RunV1;
  constructor(run: RunV1) {
    super(`run ${run.id} was created but the ledger could not store its job`);
    this.run = run;
  }
}

export function isJobPublishError(err: unknown): err is JobPublishError {
  return err instanceof Error && err.name === 'JobPublishError' && 'run' in err;
}

/**
 * Dispatch (docs/architecture.md, data flow 1–2): ONE request, ensure_run.
 * The ledger publishes the job itself once the run is committed (issue #18)
 * and answers after JetStream stored it — or, for an active run still queued
 * whose job was never stored, publishes it now (a retried dispatch). A
 * running or cooling-down identity publishes nothing and returns the
 * canonical run. A failed ensure_run throws its OpsError; a created run
 * whose job could not be stored throws JobPublishError.
 */
export async function dispatch(ledger: LedgerClient, request: EnsureRunRequestInputV1): Promise<DispatchResult> {
  const reply = await ledger.ensureRun(request);
  if (reply.disposition === 'created' && !reply.published) throw new JobPublishError(reply.run);
  return { run: reply.run, disposition: reply.disposition, published: reply.published };
}
