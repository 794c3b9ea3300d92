import type { Logger } from 'pino';
import { describePath, graphError, networkReason, statusError } from './errors.ts';
import { RETRYABLE_STATUSES, retryWaitMs, type Sleep } from './retry.ts';
import type { TokenSource } from './token.ts';

/**
 * One Graph call as the client sees it: bearer token, per-request timeout,
 * in-place retries of 429/502/503/504, one token refresh on a 401, and every
 * failure turned into a GraphError — except the caller's own abort, which
 * rejects with the signal's reason (an AbortError) so shutdown is not
 * mistaken for a Graph failure.
 */
export interface RequestContext {
  readonly tokens: TokenSource;
  readonly clientSecret: string;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly maxRetryAfterMs: number;
  readonly sleep: Sleep;
  readonly logger?: Logger | undefined;
}

interface GraphRequest {
  readonly method: 'GET' | 'POST';
  readonly url: URL;
  readonly tenant: string;
  readonly json?: unknown;
  /** statuses that count as success */
  readonly okStatuses: readonly number[];
}

interface GraphResponse {
  readonly status: number;
  readonly text: string;
  /** the token the answer was obtained with, a known secret for later error messages */
  readonly token: string;
}

export async function sendGraphRequest(context: RequestContext, request: GraphRequest, signal?: AbortSignal): Promise<GraphResponse> {
  let retries = 0;
  let refreshed = false;
  for (;;) {
    signal?.throwIfAborted();
    const { token, cached } = await context.tokens.get(request.tenant, signal);
    const errorContext = { secrets: [context.clientSecret, token] };
    const answer = await attempt(context, request, token, signal);
    if (request.okStatuses.includes(answer.status)) return { status: answer.status, text: answer.text, token };
    if (answer.status === 401 && cached && !refreshed) {
      // the cached token was revoked or expired early: one fresh token, one more try
      context.tokens.invalidate(request.tenant, token);
      refreshed = true;
      continue;
    }
    if (RETRYABLE_STATUSES.has(answer.status) && retries < context.maxRetries) {
      const waitMs = retryWaitMs(answer.retryAfter, retries, context.maxRetryAfterMs);
      context.logger?.warn(
        { method: request.method, path: request.url.pathname, status: answer.status, retry: retries + 1, waitMs },
        'graph request retrying',
      );
      retries += 1;
      await context.sleep(waitMs, signal);
      continue;
    }
    throw statusError(answer.status, request.method, request.url, retries, errorContext);
  }
}

interface Answer {
  readonly status: number;
  readonly retryAfter: string | null;
  /** the body of a success; failures' bodies are discarded unread (they may echo secrets) */
  readonly text: string;
}

async function attempt(context: RequestContext, request: GraphRequest, token: string, signal: AbortSignal | undefined): Promise<Answer> {
  const timeout = AbortSignal.timeout(context.timeoutMs);
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
  if (request.json !== undefined) headers['content-type'] = 'application/json';
  try {
    const res = await fetch(request.url, {
      method: request.method,
      headers,
      body: request.json === undefined ? null : JSON.stringify(request.json),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      // never follow a redirect: it could carry the token to another host
      redirect: 'manual',
    });
    if (!request.okStatuses.includes(res.status)) {
      await res.body?.cancel().catch(() => undefined);
      return { status: res.status, retryAfter: res.headers.get('retry-after'), text: '' };
    }
    // read under the same timeout: a stalled body is a timeout too
    return { status: res.status, retryAfter: null, text: await res.text() };
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    const errorContext = { secrets: [context.clientSecret, token] };
    const what = `${request.method} ${describePath(request.url)}`;
    if (timeout.aborted) {
      throw graphError('graph.timeout', `${what} did not answer within ${context.timeoutMs} ms`, errorContext, { transient: true });
    }
    throw graphError('graph.unavailable', `${what} failed: ${networkReason(err)}`, errorContext, { transient: true, cause: err });
  }
}
