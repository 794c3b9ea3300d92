import type { NatsConnection } from '@nats-io/nats-core';
import {
  type CancelRunReplyV1,
  type CancelRunRequestV1,
  cancelRunReplyV1,
  type LedgerAdminEndpoint,
  type Names,
  type PurgeDeadLetterReplyV1,
  type PurgeDeadLetterRequestV1,
  purgeDeadLetterReplyV1,
  type RedriveDeadLetterReplyV1,
  type RedriveDeadLetterRequestInputV1,
  type ReleaseLockReplyV1,
  type ReleaseLockRequestInputV1,
  type RerunRunReplyV1,
  type RerunRunRequestInputV1,
  redriveDeadLetterReplyV1,
  releaseLockReplyV1,
  rerunRunReplyV1,
} from '@ops/contracts';
import { endpointCaller } from './request.ts';

/**
 * Typed client of the operator actions (ops.ledger.admin.*, issue #21). Only
 * the operator NATS user may call them; every call names its actor and reason.
 */
export interface LedgerAdminClient {
  cancelRun(request: CancelRunRequestV1): Promise<CancelRunReplyV1>;
  rerunRun(request: RerunRunRequestInputV1): Promise<RerunRunReplyV1>;
  redriveDeadLetter(request: RedriveDeadLetterRequestInputV1): Promise<RedriveDeadLetterReplyV1>;
  purgeDeadLetter(request: PurgeDeadLetterRequestV1): Promise<PurgeDeadLetterReplyV1>;
  releaseLock(request: ReleaseLockRequestInputV1): Promise<ReleaseLockReplyV1>;
}

/** a lock release watches a running lease for the stale time (10 s by default) before it answers */
const ADMIN_TIMEOUT_MS = 30_000;

export function createLedgerAdminClient(nc: NatsConnection, names: Names, options: { timeoutMs?: number } = {}): LedgerAdminClient {
  const call = endpointCaller<LedgerAdminEndpoint>(nc, {
    subject: names.ledgerAdminSubject,
    group: 'ops.ledger.admin',
    timeoutMs: options.timeoutMs ?? ADMIN_TIMEOUT_MS,
  });
  return {
    cancelRun: (request) => call('cancel_run', request, cancelRunReplyV1),
    rerunRun: (request) => call('rerun_run', request, rerunRunReplyV1),
    redriveDeadLetter: (request) => call('redrive_dead_letter', request, redriveDeadLetterReplyV1),
    purgeDeadLetter: (request) => call('purge_dead_letter', request, purgeDeadLetterReplyV1),
    releaseLock: (request) => call('release_lock', request, releaseLockReplyV1),
  };
}
