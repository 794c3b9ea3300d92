import type { JetStreamClient } from '@nats-io/jetstream';
import { type EnsureRunReplyV1, type EnsureRunRequestInputV1, encodeJson, type JobV1, type Names, type RunV1 } from '@ops/contracts';
import type { LedgerClient } from './client.ts';

export interface DispatchResult {
  readonly run: RunV1;
  readonly disposition: EnsureRunReplyV1['disposition'];
  readonly published: boolean;
}

/** The job message of a run (only whitelisted inputs, never secrets). */
export function jobFor(run: RunV1, now: Date = new Date()): JobV1 {
  const inputs = run.context['inputs'];
  return {
    v: 1,
    run_id: run.id,
    workspace_id: run.workspace_id,
    tenant_id: run.tenant_id,
    type: run.type,
    run_identity_hash: run.run_identity_hash,
    inputs: inputs && typeof inputs === 'object' && !Array.isArray(inputs) ? (inputs as Record<string, unknown>) : {},
    dispatched_at: now.toISOString(),
  };
}

/**
 * Publishes a run's job to OPS_JOBS with Nats-Msg-Id = run id: inside the
 * stream's 15-minute duplicate window a second publish of the same run is
 * dropped by JetStream (`duplicate: true`). Resolves after the PubAck.
 */
export async function publishJob(js: JetStreamClient, names: Names, run: RunV1): Promise<{ duplicate: boolean; seq: number }> {
  const ack = await js.publish(names.jobSubject(run.type), encodeJson(jobFor(run)), { msgID: run.id });
  return { duplicate: ack.duplicate, seq: ack.seq };
}

/**
 * The ledger created the run but its job could not be published (JetStream
 * unavailable, timeout): the run exists and is `queued`. `run` says which;
 * the cause is the publish error. Housekeeping re-publishes queued runs.
 */
export class JobPublishError extends Error {
  override readonly name = 'JobPublishError';
  readonly run: RunV1;
  readonly subject: string;
  constructor(run: RunV1, subject: string, cause: unknown) {
    super(`run ${run.id} was created but publishing its job to ${subject} failed`, { cause });
    this.run = run;
    this.subject = subject;
  }
}

export function isJobPublishError(err: unknown): err is JobPublishError {
  return err instanceof Error && err.name === 'JobPublishError' && 'run' in err && 'subject' in err;
}

/**
 * Dispatch (docs/architecture.md, data flow 1–2): ensure_run, then publish the job
 * when the ledger created the run — or when the ledger says the active run is
 * still queued and its job should be published again (`republish`: a retried
 * dispatch whose first publish failed; JetStream drops a second copy inside
 * the duplicate window). A running or cooling-down identity publishes nothing
 * and returns the canonical run. A failed ensure_run throws
 * its OpsError; a failed publish after a created run throws JobPublishError.
 */
export async function dispatch(
  ledger: LedgerClient,
  js: JetStreamClient,
  names: Names,
  request: EnsureRunRequestInputV1,
): Promise<DispatchResult> {
  const reply = await ledger.ensureRun(request);
  // active but still queued: a dispatch retried after its publish failed — publish again (same Nats-Msg-Id)
  const publish = reply.disposition === 'created' || reply.republish;
  if (!publish) return { run: reply.run, disposition: reply.disposition, published: false };
  try {
    await publishJob(js, names, reply.run);
  } catch (err) {
    throw new JobPublishError(reply.run, names.jobSubject(reply.run.type), err);
  }
  return { run: reply.run, disposition: reply.disposition, published: true };
}
