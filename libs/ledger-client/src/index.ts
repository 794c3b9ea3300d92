import type { NatsConnection } from '@nats-io/nats-core';
import { NoRespondersError, TimeoutError } from '@nats-io/nats-core';
import {
  OpsError,
  apiErrorReplyV1,
  encodeJson,
  ensureRunReplyV1,
  getRunReplyV1,
  listRunsReplyV1,
  recordDuplicateReplyV1,
  listWorkspacesReplyV1,
  listActiveRunsReplyV1,
  type ListWorkspacesReplyV1,
  type ListActiveRunsReplyV1,
  type ListActiveRunsRequestInputV1,
  type RecordDuplicateRequestV1,
  type EnsureRunReplyV1,
  type EnsureRunRequestInputV1,
  type GetRunReplyV1,
  type GetRunRequestV1,
  type LedgerApiEndpoint,
  type ListRunsReplyV1,
  type ListRunsRequestInputV1,
  type Names,
} from '@ops/contracts';
import type { z } from 'zod';

/** Typed client of the ledger's micro service (ops.ledger.api.*). */
export interface LedgerClient {
  ensureRun(request: EnsureRunRequestInputV1): Promise<EnsureRunReplyV1>;
  getRun(request: GetRunRequestV1): Promise<GetRunReplyV1['run']>;
  listRuns(request: ListRunsRequestInputV1): Promise<ListRunsReplyV1>;
  /** counts a duplicate job on the canonical run (execution-time dedupe) */
  recordDuplicate(request: RecordDuplicateRequestV1): Promise<GetRunReplyV1['run']>;
  listWorkspaces(): Promise<ListWorkspacesReplyV1['workspaces']>;
  /** queued/running runs quiet since an instant (housekeeping) */
  listActiveRuns(request: ListActiveRunsRequestInputV1): Promise<ListActiveRunsReplyV1['runs']>;
}

export function createLedgerClient(nc: NatsConnection, names: Names, options: { timeoutMs?: number } = {}): LedgerClient {
  const timeout = options.timeoutMs ?? 5_000;
  async function call<S extends z.ZodType>(endpoint: LedgerApiEndpoint, body: unknown, schema: S): Promise<z.infer<S>> {
    let reply;
    try {
      reply = await nc.request(names.ledgerApiSubject(endpoint), encodeJson(body), { timeout });
    } catch (err) {
      if (err instanceof NoRespondersError || (err as Error).cause instanceof NoRespondersError) {
        throw new OpsError('unavailable', 'the ledger service is not running (no responders on ops.ledger.api)', { cause: err });
      }
      if (err instanceof TimeoutError || (err as Error).cause instanceof TimeoutError) {
        throw new OpsError('timeout', `the ledger service did not answer ${endpoint} within ${timeout} ms`, { cause: err });
      }
      throw new OpsError('unavailable', `ledger request ${endpoint} failed`, { cause: err });
    }
    let json: unknown;
    try {
      json = reply.json();
    } catch (err) {
      throw new OpsError('internal', `the ledger answered ${endpoint} with a non-JSON body`, { cause: err });
    }
    const failure = apiErrorReplyV1.safeParse(json);
    if (failure.success) {
      throw new OpsError(failure.data.error.code, failure.data.error.message, { issues: failure.data.error.issues });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new OpsError('internal', `the ledger answered ${endpoint} with an unexpected body`);
    return parsed.data;
  }
  return {
    ensureRun: (request) => call('ensure_run', request, ensureRunReplyV1),
    getRun: async (request) => (await call('get_run', request, getRunReplyV1)).run,
    listRuns: (request) => call('list_runs', request, listRunsReplyV1),
    recordDuplicate: async (request) => (await call('record_duplicate', request, recordDuplicateReplyV1)).run,
    listWorkspaces: async () => (await call('list_workspaces', {}, listWorkspacesReplyV1)).workspaces,
    listActiveRuns: async (request) => (await call('list_active_runs', request, listActiveRunsReplyV1)).runs,
  };
}
export * from './dispatch.ts';
export * from './events.ts';
