import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/nats-core';
import { type Service, type ServiceMsg, Svcm } from '@nats-io/services';
import {
  catalogEntry,
  computeIdentity,
  decodeRequest,
  type EnsureRunReplyV1,
  ERROR_STATUS,
  encodeJson,
  ensureRunRequestV1,
  errorReplyBody,
  type GetRunReplyV1,
  type GetRunTimelineReplyV1,
  getRunRequestV1,
  getRunTimelineRequestV1,
  isOpsError,
  type LedgerApiEndpoint,
  type ListActiveRunsReplyV1,
  type ListRunsReplyV1,
  type ListWorkspacesReplyV1,
  listActiveRunsRequestV1,
  listRunsRequestV1,
  listWorkspacesRequestV1,
  type Names,
  OpsError,
  type RecordDuplicateReplyV1,
  type RepublishJobReplyV1,
  recordDuplicateRequestV1,
  republishJobRequestV1,
} from '@ops/contracts';
import { pgErrorClass } from '@ops/db';
import type { Logger } from '@ops/logging';
import { createAdmission } from '@ops/nats';
import type { Clock } from '../domain/clock.ts';
import { fitByBytes } from '../domain/page-fit.ts';
import type { LedgerMetrics } from '../metrics.ts';
import { type RunRow, toRunView } from '../repositories/run-view.ts';
import { cursorAfterActive, cursorAfterRun, cursorAfterTimelineEntry, type RunsRepository } from '../repositories/runs-repository.ts';
import { pgTimestamp } from '../repositories/sql-values.ts';
import { toTimelineEntry } from '../repositories/timeline-view.ts';
import type { EnsureBatcher } from './ensure-batcher.ts';

export interface LedgerApiDeps {
  readonly nc: NatsConnection;
  readonly names: Names;
  readonly repo: RunsRepository;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: LedgerMetrics;
  readonly maxRequestBytes: number;
  /** requests handled at once / waiting; beyond both, refused as overloaded */
  readonly admission: { readonly maxInFlight: number; readonly maxQueued: number };
  /** the largest reply it may send: 90 % of the connection's max_payload (pages are cut to fit) */
  readonly maxReplyBytes: () => number;
  /** ensure_run's group commit (it publishes the jobs it owes) */
  readonly ensurer: EnsureBatcher;
  /** publishes a run's job (the ledger is the only publisher of jobs) */
  /** housekeeping's re-publish: also when the original is in the stream but its delivery was lost (jobs.ts) */
  readonly republishJob: (run: RunRow, generation: number) => Promise<'published' | 'duplicate'>;
}

/**
 * ops.ledger.api as a NATS micro service (`nats micro ls` shows it). Every
 * request is parsed with zod; every failure is a typed error reply — a bad
 * request can never take the service down.
 */
export async function startLedgerApi(deps: LedgerApiDeps): Promise<Service> {
  const service = await new Svcm(deps.nc).add({
    name: deps.names.services.ledger,
    version: '1.0.0',
    description:
      'operations ledger: ensure_run, get_run, get_run_timeline, list_runs, record_duplicate, list_workspaces, list_active_runs, republish_job; operator actions (admin): cancel_run, rerun_run, redrive_dead_letter, purge_dead_letter, release_lock',
  });
  const group = service.addGroup(deps.names.ledgerApiGroup);
  const admission = createAdmission(deps.admission);
  const endpoints: Record<LedgerApiEndpoint, (data: Uint8Array) => Promise<unknown>> = {
    ensure_run: (data) => ensureRun(deps, data),
    get_run: (data) => getRun(deps, data),
    get_run_timeline: (data) => getRunTimeline(deps, data),
    list_runs: (data) => listRuns(deps, data),
    record_duplicate: (data) => recordDuplicate(deps, data),
    list_workspaces: (data) => listWorkspaces(deps, data),
    list_active_runs: (data) => listActiveRuns(deps, data),
    republish_job: (data) => republishJob(deps, data),
  };
  for (const [endpoint, handle] of Object.entries(endpoints) as Array<[LedgerApiEndpoint, (d: Uint8Array) => Promise<unknown>]>) {
    group.addEndpoint(endpoint, {
      handler: (err, msg) => {
        if (err) {
          deps.logger.error({ err, endpoint }, 'ledger api subscription error');
          return;
        }
        const admitted = admission.offer(() => respond(deps, endpoint, msg, handle));
        if (!admitted) {
          // overloaded: a fast, retryable refusal instead of an unbounded backlog
          const body = errorReplyBody(new OpsError('unavailable', 'the ledger service is overloaded; retry later'));
          msg.respondError(ERROR_STATUS.unavailable, body.error.message, encodeJson(body));
          deps.metrics.apiRequests.inc({ endpoint, result: 'overloaded' });
        }
      },
    });
  }
  return service;
}

/** Answers one request with its handler's reply or a typed error, counted and timed (the admin endpoints use it too). */
export async function respond(
  deps: Pick<LedgerApiDeps, 'logger' | 'metrics'>,
  endpoint: string,
  msg: ServiceMsg,
  handle: (data: Uint8Array) => Promise<unknown>,
): Promise<void> {
  const stop = deps.metrics.apiDuration.startTimer({ endpoint });
  try {
    const reply = await handle(msg.data);
    msg.respond(encodeJson(reply));
    deps.metrics.apiRequests.inc({ endpoint, result: 'ok' });
  } catch (raw) {
    const err = toOpsError(raw);
    if (err.code === 'internal' || err.code === 'unavailable') {
      deps.logger.error({ err: raw, endpoint }, 'ledger api request failed');
    }
    const body = errorReplyBody(err);
    msg.respondError(ERROR_STATUS[err.code], body.error.message, encodeJson(body));
    deps.metrics.apiRequests.inc({ endpoint, result: err.code });
  } finally {
    stop();
  }
}

/** a reply's envelope around its runs: `{"ok":true,"runs":[…],"next_cursor":"…"}`, cursor included, with room to spare */
const REPLY_ENVELOPE_BYTES = 512;
const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** Database and unknown failures become typed errors; their text is never trusted. */
export function toOpsError(err: unknown): OpsError {
  if (isOpsError(err)) return err;
  // the database is unreachable or going away: the caller may retry
  if (pgErrorClass(err) === 'unavailable') {
    return new OpsError('unavailable', 'the ledger database is unavailable; retry later', { cause: err });
  }
  return new OpsError('internal', 'internal ledger error', { cause: err });
}

async function ensureRun(deps: LedgerApiDeps, data: Uint8Array): Promise<EnsureRunReplyV1> {
  const req = decodeRequest(ensureRunRequestV1, data, deps.maxRequestBytes);
  const entry = catalogEntry(req.type);
  if (entry.scope === 'tenant' && !req.tenant_id) {
    throw new OpsError('bad_request', `${req.type} is tenant-scoped: tenant_id is required`, { issues: ['tenant_id: required'] });
  }
  if (entry.scope === 'workspace' && req.tenant_id) {
    throw new OpsError('bad_request', `${req.type} is workspace-scoped: tenant_id must be null`, { issues: ['tenant_id: must be null'] });
  }
  const identity = computeIdentity({
    type: req.type,
    workspaceId: req.workspace_id,
    tenantId: req.tenant_id,
    inputs: req.inputs,
    runId: req.run_id,
  });
  const result = await deps.ensurer.ensure({
    id: req.run_id ?? randomUUID(),
    workspaceId: req.workspace_id,
    tenantId: req.tenant_id,
    type: req.type,
    identityHash: identity.hash,
    context: { inputs: identity.fingerprintInputs, label: entry.label },
    initiatorName: req.initiator.name,
    userId: req.initiator.user_id ?? null,
    cooldownSeconds: entry.cooldownSeconds,
    explicitRunId: req.run_id !== undefined,
    policyIds: identity.policyIds,
  });
  deps.metrics.dispositions.inc({ type: req.type, disposition: result.disposition });
  if (result.disposition !== 'created') {
    // a rejected duplicate: visible in logs and metrics, counted on the canonical run
    deps.logger.info(
      { runId: result.row.id, type: req.type, disposition: result.disposition, dedupeHits: result.row.dedupe_hits },
      'duplicate dispatch deduplicated',
    );
  }
  return { ok: true, disposition: result.disposition, run: toRunView(result.row), published: result.published };
}

/** housekeeping's re-publish of a queued run whose job seems lost: the next generation, published by the ledger */
async function republishJob(deps: LedgerApiDeps, data: Uint8Array): Promise<RepublishJobReplyV1> {
  const req = decodeRequest(republishJobRequestV1, data, deps.maxRequestBytes);
  const row = await deps.repo.nextJobGeneration(req.workspace_id, req.run_id, deps.clock.now());
  if (!row) {
    // another workspace's run is as unknown as a missing one
    if (!(await deps.repo.getRun(req.workspace_id, req.run_id))) throw new OpsError('not_found', 'run not found in this workspace');
    return { ok: true, result: 'not_queued', generation: 0 };
  }
  return { ok: true, result: await deps.republishJob(row, row.job_generation), generation: row.job_generation };
}

async function getRun(deps: LedgerApiDeps, data: Uint8Array): Promise<GetRunReplyV1> {
  const req = decodeRequest(getRunRequestV1, data, deps.maxRequestBytes);
  const row = await deps.repo.getRun(req.workspace_id, req.run_id);
  if (!row) throw new OpsError('not_found', 'run not found in this workspace');
  return { ok: true, run: toRunView(row) };
}

async function listRuns(deps: LedgerApiDeps, data: Uint8Array): Promise<ListRunsReplyV1> {
  const req = decodeRequest(listRunsRequestV1, data, deps.maxRequestBytes);
  const { rows, hasMore } = await deps.repo.listRuns({
    workspaceId: req.workspace_id,
    tenantId: req.tenant_id,
    type: req.type,
    status: req.status,
    outcome: req.outcome,
    failureCode: req.failure_code,
    initiator: req.initiator,
    createdAfter: req.created_after,
    createdBefore: req.created_before,
    limit: req.limit,
    cursor: req.cursor,
  });
  const views = rows.map(toRunView);
  const fit = fitByBytes(views.map(jsonBytes), REPLY_ENVELOPE_BYTES, deps.maxReplyBytes());
  const more = fit < rows.length || hasMore;
  return { ok: true, runs: views.slice(0, fit), next_cursor: more ? cursorAfterRun(rows[fit - 1]!) : null };
}

/** a run's timeline (docs/architecture.md, "Run timeline"): events per attempt, heals, duplicates, operator actions — oldest first */
async function getRunTimeline(deps: LedgerApiDeps, data: Uint8Array): Promise<GetRunTimelineReplyV1> {
  const req = decodeRequest(getRunTimelineRequestV1, data, deps.maxRequestBytes);
  const page = await deps.repo.getRunTimeline(req.workspace_id, req.run_id, req.limit, req.cursor);
  if (!page) throw new OpsError('not_found', 'run not found in this workspace');
  const entries = page.rows.map(toTimelineEntry);
  const fit = fitByBytes(entries.map(jsonBytes), REPLY_ENVELOPE_BYTES, deps.maxReplyBytes());
  const more = fit < page.rows.length || page.hasMore;
  return { ok: true, entries: entries.slice(0, fit), next_cursor: more ? cursorAfterTimelineEntry(page.rows[fit - 1]!) : null };
}

async function recordDuplicate(deps: LedgerApiDeps, data: Uint8Array): Promise<RecordDuplicateReplyV1> {
  const req = decodeRequest(recordDuplicateRequestV1, data, deps.maxRequestBytes);
  const row = await deps.repo.recordDuplicate(req.workspace_id, req.run_id, deps.clock.now(), req.reason);
  if (!row) throw new OpsError('not_found', 'run not found in this workspace');
  deps.metrics.executionDuplicates.inc({ reason: req.reason });
  deps.logger.info({ runId: row.id, reason: req.reason, dedupeHits: row.dedupe_hits }, 'duplicate job recorded');
  return { ok: true, run: toRunView(row) };
}

async function listWorkspaces(deps: LedgerApiDeps, data: Uint8Array): Promise<ListWorkspacesReplyV1> {
  decodeRequest(listWorkspacesRequestV1, data.byteLength === 0 ? new TextEncoder().encode('{}') : data, deps.maxRequestBytes);
  return { ok: true, workspaces: await deps.repo.listWorkspaces() };
}

async function listActiveRuns(deps: LedgerApiDeps, data: Uint8Array): Promise<ListActiveRunsReplyV1> {
  const req = decodeRequest(listActiveRunsRequestV1, data, deps.maxRequestBytes);
  const { rows, hasMore } = await deps.repo.listActiveRuns(req.workspace_id, req.quiet_since, req.limit, req.cursor);
  const views = rows.map((row) => ({ ...toRunView(row), last_event_at: pgTimestamp(row.last_event_at)?.toISOString() ?? null }));
  const fit = fitByBytes(views.map(jsonBytes), REPLY_ENVELOPE_BYTES, deps.maxReplyBytes());
  const more = fit < rows.length || hasMore;
  return { ok: true, runs: views.slice(0, fit), next_cursor: more ? cursorAfterActive(rows[fit - 1]!) : null };
}
