import type { NatsConnection } from '@nats-io/nats-core';
import {
  type EnsureRunReplyV1,
  type EnsureRunRequestInputV1,
  ensureRunReplyV1,
  type GetRunReplyV1,
  type GetRunRequestV1,
  type GetRunTimelineReplyV1,
  type GetRunTimelineRequestInputV1,
  getRunReplyV1,
  getRunTimelineReplyV1,
  type LedgerApiEndpoint,
  type ListActiveRunsReplyV1,
  type ListActiveRunsRequestInputV1,
  type ListRunsReplyV1,
  type ListRunsRequestInputV1,
  type ListWorkspacesReplyV1,
  listActiveRunsReplyV1,
  listRunsReplyV1,
  listWorkspacesReplyV1,
  type Names,
  type RecordDuplicateRequestV1,
  type RepublishJobReplyV1,
  type RepublishJobRequestV1,
  recordDuplicateReplyV1,
  republishJobReplyV1,
} from '@ops/contracts';
import { endpointCaller } from './request.ts';

/** Typed client of the ledger's micro service (ops.ledger.api.*). */
export interface LedgerClient {
  ensureRun(request: EnsureRunRequestInputV1): Promise<EnsureRunReplyV1>;
  getRun(request: GetRunRequestV1): Promise<GetRunReplyV1['run']>;
  /** one page of a run's timeline, oldest first (issue #21) */
  getRunTimeline(request: GetRunTimelineRequestInputV1): Promise<GetRunTimelineReplyV1>;
  listRuns(request: ListRunsRequestInputV1): Promise<ListRunsReplyV1>;
  /** counts a duplicate job on the canonical run (execution-time dedupe) */
  recordDuplicate(request: RecordDuplicateRequestV1): Promise<GetRunReplyV1['run']>;
  listWorkspaces(): Promise<ListWorkspacesReplyV1['workspaces']>;
  /** queued/running runs quiet since an instant (housekeeping), a page at a time: running first */
  listActiveRuns(request: ListActiveRunsRequestInputV1): Promise<ListActiveRunsReplyV1>;
  /** asks the ledger to publish a queued run's job again (housekeeping) */
  republishJob(request: RepublishJobRequestV1): Promise<RepublishJobReplyV1>;
}

export function createLedgerClient(nc: NatsConnection, names: Names, options: { timeoutMs?: number } = {}): LedgerClient {
  const call = endpointCaller<LedgerApiEndpoint>(nc, {
    subject: names.ledgerApiSubject,
    group: 'ops.ledger.api',
    timeoutMs: options.timeoutMs ?? 5_000,
  });
  return {
    ensureRun: (request) => call('ensure_run', request, ensureRunReplyV1),
    getRun: async (request) => (await call('get_run', request, getRunReplyV1)).run,
    getRunTimeline: (request) => call('get_run_timeline', request, getRunTimelineReplyV1),
    listRuns: (request) => call('list_runs', request, listRunsReplyV1),
    recordDuplicate: async (request) => (await call('record_duplicate', request, recordDuplicateReplyV1)).run,
    listWorkspaces: async () => (await call('list_workspaces', {}, listWorkspacesReplyV1)).workspaces,
    listActiveRuns: (request) => call('list_active_runs', request, listActiveRunsReplyV1),
    republishJob: (request) => call('republish_job', request, republishJobReplyV1),
  };
}
