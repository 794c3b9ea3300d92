import { randomUUID } from 'node:crypto';
import type { StoredMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/nats-core';
import {
  decodeRequest,
  HEADERS,
  OpsError,
  type PurgeDeadLetterReplyV1,
  purgeDeadLetterRequestV1,
  type RedriveDeadLetterReplyV1,
  redriveDeadLetterRequestV1,
  UNREDRIVABLE_REASONS,
} from '@ops/contracts';
import { isNotFound } from '@ops/nats';
import type { AdminDeps } from './deps.ts';

/**
 * redrive_dead_letter (issue #21): one dead letter of OPS_DLQ is published
 * again to the subject it came from — a job (`ops.jobs.assignments.*`) or a
 * ledger event (`ops.ledger.events.*`) — with a new Nats-Msg-Id derived from
 * its DLQ sequence (a retried redrive is dropped as a duplicate, not stored
 * twice) and `Ops-Redriven-From: <seq>`, then removed from OPS_DLQ. The
 * consumers treat it like any message: a job of a completed run is a
 * duplicate, an event already applied changes nothing. A reason the same
 * bytes fail on again (`schema_invalid`, `oversized`, `invalid_json`) needs
 * `force`; a truncated copy is never redriven (its bytes are not the
 * original's).
 */
export async function redriveDeadLetter(deps: AdminDeps, data: Uint8Array): Promise<RedriveDeadLetterReplyV1> {
  const req = decodeRequest(redriveDeadLetterRequestV1, data, deps.maxRequestBytes);
  const letter = await readDeadLetter(deps, req.seq);
  const reason = letter.header.get(HEADERS.dlqReason) || 'unknown';
  const subject = letter.header.get(HEADERS.dlqOriginSubject) ?? '';
  if (letter.header.get(HEADERS.dlqTruncated) === 'true') {
    throw new OpsError('conflict', `dead letter ${req.seq} holds a truncated copy: it cannot be redriven — purge it`);
  }
  if ((UNREDRIVABLE_REASONS as readonly string[]).includes(reason) && !req.force) {
    throw new OpsError(
      'conflict',
      `dead letter ${req.seq} failed with ${reason}: the same bytes fail the same way — add --force to redrive it anyway`,
    );
  }
  if (!redrivable(deps, subject)) {
    throw new OpsError(
      'conflict',
      `dead letter ${req.seq} came from ${subject || 'an unknown subject'}: only jobs and ledger events are redriven`,
    );
  }
  const h = headers();
  h.set(HEADERS.redrivenFrom, String(req.seq));
  const ack = await deps.js.publish(subject, letter.data, { msgID: `redrive.${deps.names.streams.dlq}.${req.seq}`, headers: h });
  await deps.jsm.streams.deleteMessage(deps.names.streams.dlq, req.seq, false).catch(() => false);
  const action = await recordAction(deps, req, 'dlq_redrive', letter, {
    dlq_seq: req.seq,
    dlq_reason: reason,
    subject,
    stream: ack.stream,
    redriven_seq: ack.seq,
    forced: req.force,
  });
  deps.logger.info({ seq: req.seq, subject, redrivenSeq: ack.seq, actor: req.actor }, 'dead letter redriven');
  return { ok: true, seq: req.seq, reason, subject, stream: ack.stream, redriven_seq: ack.seq, action };
}

/** purge_dead_letter: one dead letter removed from OPS_DLQ for good; what it was stays in the record. */
export async function purgeDeadLetter(deps: AdminDeps, data: Uint8Array): Promise<PurgeDeadLetterReplyV1> {
  const req = decodeRequest(purgeDeadLetterRequestV1, data, deps.maxRequestBytes);
  const letter = await readDeadLetter(deps, req.seq);
  const reason = letter.header.get(HEADERS.dlqReason) || 'unknown';
  const subject = letter.header.get(HEADERS.dlqOriginSubject) ?? '';
  const removed = await deps.jsm.streams.deleteMessage(deps.names.streams.dlq, req.seq, false).catch((err: unknown) => {
    if (isNotFound(err)) return false;
    throw err;
  });
  if (!removed) throw new OpsError('not_found', `no dead letter at sequence ${req.seq}`);
  const action = await recordAction(deps, req, 'dlq_purge', letter, {
    dlq_seq: req.seq,
    dlq_reason: reason,
    subject,
    size: letter.data.byteLength,
  });
  deps.logger.info({ seq: req.seq, reason, actor: req.actor }, 'dead letter purged');
  return { ok: true, seq: req.seq, reason, action };
}

/** the action on a dead letter, linked to the run its payload names */
function recordAction(
  deps: AdminDeps,
  req: { actor: string; reason: string },
  action: 'dlq_redrive' | 'dlq_purge',
  letter: StoredMsg,
  detail: Record<string, unknown>,
) {
  const ids = runOf(letter.data);
  return deps.actions.record({
    id: randomUUID(),
    workspaceId: ids.workspaceId,
    runId: ids.runId,
    action,
    actor: req.actor,
    reason: req.reason,
    at: deps.clock.now(),
    detail,
  });
}

async function readDeadLetter(deps: AdminDeps, seq: number): Promise<StoredMsg> {
  try {
    const letter = await deps.jsm.streams.getMessage(deps.names.streams.dlq, { seq });
    if (letter) return letter;
  } catch (err) {
    if (isNotFound(err) || /no message found/i.test(String((err as Error)?.message))) {
      throw new OpsError('not_found', `no dead letter at sequence ${seq}`);
    }
    throw err;
  }
  throw new OpsError('not_found', `no dead letter at sequence ${seq}`);
}

/** only where the ledger may publish and a consumer validates everything again: jobs and ledger events */
function redrivable(deps: AdminDeps, subject: string): boolean {
  const jobs = deps.names.jobSubject('assignments.');
  const events = deps.names.ledgerEventsWildcard.slice(0, -1);
  return (subject.startsWith(jobs) || subject.startsWith(events)) && !/[\s*>]/.test(subject);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** the run a dead letter was about, when its payload says so (a job or an event): the record links it */
function runOf(data: Uint8Array): { runId: string | null; workspaceId: string | null } {
  try {
    const body = JSON.parse(new TextDecoder().decode(data)) as Record<string, unknown>;
    const runId = typeof body['run_id'] === 'string' && UUID.test(body['run_id']) ? body['run_id'] : null;
    const workspaceId = typeof body['workspace_id'] === 'string' && UUID.test(body['workspace_id']) ? body['workspace_id'] : null;
    return { runId, workspaceId: runId ? workspaceId : null };
  } catch {
    return { runId: null, workspaceId: null };
  }
}
