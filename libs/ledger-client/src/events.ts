import type { JetStreamClient } from '@nats-io/jetstream';
import {
  encodeJson,
  FAILURE_CODES,
  type FailureCode,
  type FailureEntry,
  type LeaseResult,
  type LedgerEventV1,
  type Names,
  type RunLeaseV1,
  type RunV1,
  runEventMsgId,
  type SummaryCounts,
  sanitizeMessage,
  type TerminalOutcome,
} from '@ops/contracts';

/**
 * Publishes one attempt's run events to OPS_LEDGER, in order, each awaited
 * (PubAck) and each with its own Nats-Msg-Id = run.attempt.seq, so a
 * re-publish after a reconnect is dropped by JetStream and the ledger can
 * order events by (attempt, seq).
 */
interface AttemptEvents {
  started(): Promise<void>;
  progress(counts: SummaryCounts): Promise<void>;
  /** the completed event this attempt will publish, without publishing it (the worker writes it into its completion marker first) */
  completion(outcome: TerminalOutcome, counts: SummaryCounts, failures: FailureEntry[], startedAt: Date): LeaseResult;
  /** publishes a completion made by `completion()` */
  completed(result: LeaseResult): Promise<void>;
}

export function attemptEvents(
  js: JetStreamClient,
  names: Names,
  run: { runId: string; workspaceId: string; attempt: number; owner: string },
  now: () => Date = () => new Date(),
  /** throws when this writer may no longer publish (a fenced lease holder) — checked before every event */
  beforePublish: () => void = () => undefined,
): AttemptEvents {
  let seq = 0;
  const publish = async (event: LedgerEventV1) => {
    beforePublish();
    const ack = await js.publish(names.ledgerEventSubject(event.kind), encodeJson(event), { msgID: runEventMsgId(event) });
    // published for the first time, yet already stored: another writer used this attempt
    if (ack.duplicate) throw new DuplicateEventError(runEventMsgId(event));
  };
  const base = () => ({
    v: 1 as const,
    run_id: run.runId,
    workspace_id: run.workspaceId,
    attempt: run.attempt,
    owner: run.owner,
    at: now().toISOString(),
  });
  return {
    started: () => publish({ ...base(), kind: 'started', seq: 0 }),
    progress: (counts) => publish({ ...base(), kind: 'progress', seq: ++seq, counts }),
    completion: (outcome, counts, failures, startedAt) => ({
      outcome,
      counts: { ...counts },
      failures: failures.map((f) => ({ ...f })),
      seq: ++seq,
      at: now().toISOString(),
      started_at: startedAt.toISOString(),
    }),
    completed: (result) => publish(completedEvent(run, result)),
  };
}

/** The completed event a completion marker records (the same bytes, the same Nats-Msg-Id, whoever publishes it). */
function completedEvent(run: { runId: string; workspaceId: string; attempt: number; owner: string }, result: LeaseResult): LedgerEventV1 {
  return {
    v: 1,
    kind: 'completed',
    run_id: run.runId,
    workspace_id: run.workspaceId,
    attempt: run.attempt,
    owner: run.owner,
    seq: result.seq,
    at: result.at,
    outcome: result.outcome,
    counts: result.counts,
    failures: result.failures,
    started_at: result.started_at,
  };
}

/**
 * Publishes again the completed event a worker's completion marker records
 * (the lease `completed`, with its `result`): its executor wrote the marker
 * and may have died before the event was stored. The same Nats-Msg-Id as the
 * original: if it was stored, JetStream drops this one (`duplicate`).
 */
export async function publishMarkedCompletion(
  js: JetStreamClient,
  names: Names,
  workspaceId: string,
  marker: Pick<RunLeaseV1, 'run_id' | 'attempt' | 'owner'> & { result: LeaseResult },
): Promise<{ duplicate: boolean }> {
  const event = completedEvent({ runId: marker.run_id, workspaceId, attempt: marker.attempt, owner: marker.owner }, marker.result);
  const ack = await js.publish(names.ledgerEventSubject('completed'), encodeJson(event), { msgID: runEventMsgId(event) });
  return { duplicate: ack.duplicate };
}

/**
 * An event this writer publishes for the first time came back from JetStream
 * as a duplicate (its Nats-Msg-Id `run.attempt.seq` is already stored): some
 * other writer published under the same attempt. Attempts are allocated by
 * the run's lease, so this is a fencing failure — the writer stops.
 */
export class DuplicateEventError extends Error {
  override readonly name = 'DuplicateEventError';
  readonly msgId: string;
  constructor(msgId: string) {
    super(`event ${msgId} was already stored: another writer used this attempt`);
    this.msgId = msgId;
  }
}

export function isDuplicateEventError(err: unknown): err is DuplicateEventError {
  return err instanceof Error && err.name === 'DuplicateEventError';
}

/**
 * Ends a run that its executor can no longer end (housekeeping: the worker
 * vanished, or the job was lost): a `completed` event of a NEWER attempt —
 * allocated by the caller from the run's lease, never shared with an
 * execution — so it outranks every event the vanished attempt may still
 * publish, with the counters the run last reported. It is marked a heal:
 * the ledger lets a real completion of the run replace it, never the reverse.
 */
export async function publishClosure(
  js: JetStreamClient,
  names: Names,
  run: Pick<RunV1, 'id' | 'workspace_id' | 'attempt' | 'summary_counts'>,
  failure: { code: FailureCode; message?: string },
  owner: string,
  now: Date,
  attempt: number,
): Promise<void> {
  const c = run.summary_counts;
  const total = c['total'] ?? 0;
  const processed = c['processed'] ?? 0;
  const failed = c['failed'] ?? 0;
  const counts = processed + failed <= total ? { total, processed, failed } : { total: 0, processed: 0, failed: 0 };
  const event: LedgerEventV1 = {
    v: 1,
    kind: 'completed',
    run_id: run.id,
    workspace_id: run.workspace_id,
    attempt,
    seq: 0,
    at: now.toISOString(),
    owner,
    outcome: 'failed',
    counts,
    failures: [{ code: failure.code, message: sanitizeMessage(failure.message ?? FAILURE_CODES[failure.code]), count: 1 }],
    heal: true,
  };
  await js.publish(names.ledgerEventSubject('completed'), encodeJson(event), { msgID: runEventMsgId(event) });
}
