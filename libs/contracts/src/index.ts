// The public entry of @ops/contracts: values, then types, each by name (nats.js' mod.ts).
// A name not listed here is internal to the package.

export { CATALOG, catalogEntry, DISPATCHABLE_TYPES, isRunType, LONGEST_COOLDOWN_SECONDS, parseRunInputs, RUN_TYPES } from './catalog.ts';
export { decodeMessage, decodeRequest, encodeJson } from './codec.ts';
export { errorReplyBody } from './error-reply.ts';
export { isOpsError, OpsError } from './errors.ts';
export { FAILURE_CODE_LIST, FAILURE_CODES, FAILURE_LIMITS } from './failure-codes.ts';
export { computeIdentity } from './identity.ts';
export {
  ADMIN_ACTIONS,
  actionV1,
  cancelRunReplyV1,
  cancelRunRequestV1,
  purgeDeadLetterReplyV1,
  purgeDeadLetterRequestV1,
  redriveDeadLetterReplyV1,
  redriveDeadLetterRequestV1,
  releaseLockReplyV1,
  releaseLockRequestV1,
  rerunRunReplyV1,
  rerunRunRequestV1,
  UNREDRIVABLE_REASONS,
} from './messages/admin-actions.v1.ts';
export { apiErrorReplyV1, ERROR_STATUS } from './messages/api-error.v1.ts';
export { isoDateTime, RUN_STATUSES } from './messages/common.ts';
export { ensureRunReplyV1, ensureRunRequestV1 } from './messages/ensure-run.v1.ts';
export { getRunReplyV1, getRunRequestV1 } from './messages/get-run.v1.ts';
export { getRunTimelineReplyV1, getRunTimelineRequestV1, TIMELINE_KINDS, timelineEntryV1 } from './messages/get-run-timeline.v1.ts';
export { housekeepingRunReplyV1, housekeepingRunRequestV1 } from './messages/housekeeping-run.v1.ts';
export { jobFor, jobV1 } from './messages/job.v1.ts';
export { decodeLease, encodeLease, leaseKey } from './messages/lease.v1.ts';
export { LEDGER_EVENT_SCHEMAS, ledgerEventV1 } from './messages/ledger-event.v1.ts';
export { listActiveRunsReplyV1, listActiveRunsRequestV1 } from './messages/list-active-runs.v1.ts';
export { listRunsReplyV1, listRunsRequestV1 } from './messages/list-runs.v1.ts';
export { listWorkspacesReplyV1, listWorkspacesRequestV1 } from './messages/list-workspaces.v1.ts';
export { recordDuplicateReplyV1, recordDuplicateRequestV1 } from './messages/record-duplicate.v1.ts';
export { republishJobReplyV1, republishJobRequestV1 } from './messages/republish-job.v1.ts';
export { runEventMsgId } from './messages/run-event-base.ts';
export { runV1 } from './messages/run.v1.ts';
export { createNames, DLQ_ORIGINS, HEADERS, LEDGER_ADMIN_ENDPOINTS, LEDGER_API_ENDPOINTS, LEDGER_EVENT_KINDS } from './names.ts';
export { sanitizeMessage } from './sanitize.ts';

export type { RunType } from './catalog.ts';
export type {
  ActionV1,
  CancelRunReplyV1,
  CancelRunRequestV1,
  PurgeDeadLetterReplyV1,
  PurgeDeadLetterRequestV1,
  RedriveDeadLetterReplyV1,
  RedriveDeadLetterRequestInputV1,
  ReleaseLockReplyV1,
  ReleaseLockRequestInputV1,
  RerunRunReplyV1,
  RerunRunRequestInputV1,
} from './messages/admin-actions.v1.ts';
export type { FailureCode } from './failure-codes.ts';
export type { FailureEntry, RunOutcome, RunStatus, SummaryCounts, TerminalOutcome } from './messages/common.ts';
export type { Disposition, EnsureRunReplyV1, EnsureRunRequestInputV1 } from './messages/ensure-run.v1.ts';
export type { GetRunReplyV1, GetRunRequestV1 } from './messages/get-run.v1.ts';
export type {
  GetRunTimelineReplyV1,
  GetRunTimelineRequestInputV1,
  TimelineEntryV1,
  TimelineKind,
} from './messages/get-run-timeline.v1.ts';
export type { HousekeepingRunReplyV1 } from './messages/housekeeping-run.v1.ts';
export type { JobV1 } from './messages/job.v1.ts';
export type { LeaseResult, LeaseV1, RunLeaseV1, WorkspaceLeaseV1 } from './messages/lease.v1.ts';
export type { LedgerEventV1 } from './messages/ledger-event.v1.ts';
export type { ActiveRunV1, ListActiveRunsReplyV1, ListActiveRunsRequestInputV1 } from './messages/list-active-runs.v1.ts';
export type { ListRunsReplyV1, ListRunsRequestInputV1 } from './messages/list-runs.v1.ts';
export type { ListWorkspacesReplyV1 } from './messages/list-workspaces.v1.ts';
export type { DuplicateReason, RecordDuplicateReplyV1, RecordDuplicateRequestV1 } from './messages/record-duplicate.v1.ts';
export type { RepublishJobReplyV1, RepublishJobRequestV1 } from './messages/republish-job.v1.ts';
export type { RunV1 } from './messages/run.v1.ts';
export type { DlqOrigin, LedgerAdminEndpoint, LedgerApiEndpoint, LedgerEventKind, Names } from './names.ts';
