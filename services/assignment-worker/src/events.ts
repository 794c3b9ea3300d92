import type { JetStreamClient } from '@nats-io/jetstream';
import {
  encodeJson,
  runEventMsgId,
  type FailureEntry,
  type LedgerEventV1,
  type Names,
  type SummaryCounts,
  type TerminalOutcome,
} from '@ops/contracts';

/**
 * Publishes one attempt's run events to OPS_LEDGER, in order, each awaited
 * (PubAck) and each with its own Nats-Msg-Id = run.attempt.seq, so a
 * re-publish after a reconnect is dropped by JetStream and the ledger can
 * order events by (attempt, seq).
 */
export interface AttemptEvents {
  started(): Promise<void>;
  progress(counts: SummaryCounts): Promise<void>;
  completed(outcome: TerminalOutcome, counts: SummaryCounts, failures: FailureEntry[]): Promise<void>;
}

export function attemptEvents(
  js: JetStreamClient,
  names: Names,
  run: { runId: string; workspaceId: string; attempt: number; owner: string },
  now: () => Date = () => new Date(),
): AttemptEvents {
  let seq = 0;
  const publish = async (event: LedgerEventV1) => {
    await js.publish(names.ledgerEventSubject(event.kind), encodeJson(event), { msgID: runEventMsgId(event) });
  };
  const base = () => ({ v: 1 as const, run_id: run.runId, workspace_id: run.workspaceId, attempt: run.attempt, owner: run.owner, at: now().toISOString() });
  return {
    started: () => publish({ ...base(), kind: 'started', seq: 0 }),
    progress: (counts) => publish({ ...base(), kind: 'progress', seq: ++seq, counts }),
    completed: (outcome, counts, failures) => publish({ ...base(), kind: 'completed', seq: ++seq, outcome, counts, failures }),
  };
}
