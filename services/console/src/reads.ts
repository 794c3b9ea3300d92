import { DLQ_ORIGINS, type DlqOrigin, type ListRunsRequestInputV1 } from '@ops/contracts';
import { listDeadLetters, listLocks, readRunDetail } from '@ops/inspect';
import type { ConsoleDeps } from './deps.ts';
import { readHealth } from './health.ts';
import { HttpError } from './http.ts';

/** A read: the JSON answer of one GET under /api/ (also what a live view re-reads). */
export type Read = (query: URLSearchParams) => Promise<unknown>;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const RUN_PATH = /^\/api\/runs\/([0-9a-fA-F-]{36})$/;

/** The read behind a GET path, or null when there is none (404). */
export function readFor(deps: ConsoleDeps, pathname: string): Read | null {
  switch (pathname) {
    case '/api/workspaces':
      return async () => ({ workspaces: await deps.ledger.listWorkspaces() });
    case '/api/runs':
      return async (q) => {
        const reply = await deps.ledger.listRuns(listRunsRequest(q));
        return { runs: reply.runs, next_cursor: reply.next_cursor };
      };
    case '/api/locks':
      return () => listLocks(deps.nc, deps.names);
    case '/api/dlq':
      return (q) => listDeadLetters(deps.nc, deps.names, { limit: intParam(q, 'limit', 1, 1000) ?? 50, origin: originParam(q) });
    case '/api/health':
      return () => readHealth(deps.nc, deps.jsm, deps.names);
    default: {
      const run = RUN_PATH.exec(pathname);
      if (run === null) return null;
      return async (q) => {
        const { detail, truncated } = await readRunDetail(deps.ledger, required(q, 'workspace'), run[1]!.toLowerCase());
        return { ...detail, timeline_truncated: truncated };
      };
    }
  }
}

/**
 * The list_runs request of `/api/runs?…` (the names of `opsctl runs list`'s
 * options); the ledger validates the values and answers bad_request, which
 * the console passes on as 400.
 */
function listRunsRequest(q: URLSearchParams): ListRunsRequestInputV1 {
  const request: Record<string, unknown> = { workspace_id: required(q, 'workspace') };
  const optional: Array<[string, string]> = [
    ['tenant', 'tenant_id'],
    ['type', 'type'],
    ['status', 'status'],
    ['outcome', 'outcome'],
    ['failure_code', 'failure_code'],
    ['initiator', 'initiator'],
    ['cursor', 'cursor'],
  ];
  for (const [param, field] of optional) {
    const value = q.get(param);
    if (value !== null && value !== '') request[field] = value;
  }
  const instant = (param: string) => {
    const value = q.get(param);
    if (value === null || value === '') return undefined;
    return DATE_ONLY.test(value) ? `${value}T00:00:00Z` : value;
  };
  if (instant('since') !== undefined) request['created_after'] = instant('since');
  if (instant('until') !== undefined) request['created_before'] = instant('until');
  const limit = intParam(q, 'limit', 1, 500);
  if (limit !== undefined) request['limit'] = limit;
  return request as ListRunsRequestInputV1;
}

function required(q: URLSearchParams, name: string): string {
  const value = q.get(name);
  if (value === null || value === '') throw new HttpError(400, 'bad_request', `${name} is required`);
  return value;
}

function intParam(q: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const value = q.get(name);
  if (value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new HttpError(400, 'bad_request', `${name} must be an integer from ${min} to ${max}`);
  return n;
}

function originParam(q: URLSearchParams): DlqOrigin | undefined {
  const value = q.get('origin');
  if (value === null || value === '') return undefined;
  if (!(DLQ_ORIGINS as readonly string[]).includes(value))
    throw new HttpError(400, 'bad_request', `origin must be one of ${DLQ_ORIGINS.join(', ')}`);
  return value as DlqOrigin;
}
