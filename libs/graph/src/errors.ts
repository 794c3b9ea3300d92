import { type FailureCode, sanitizeMessage } from '@ops/contracts';
import { GraphError } from './types.ts';

/**
 * Builds every GraphError the client throws. Messages are composed only of
 * what we know is safe (code, status, method, path without query) and still
 * go through the sanitizer with the client secret and the access token as
 * known secrets: a response body, a header or a token never reaches a
 * message, a log line or a run's failure summary (FR-008).
 */
interface ErrorContext {
  /** exact values that must never appear: the client secret, the access token in use */
  readonly secrets: readonly string[];
}

export function graphError(
  code: FailureCode,
  text: string,
  context: ErrorContext,
  options: { status?: number; transient: boolean; cause?: unknown },
): GraphError {
  const message = sanitizeMessage(`${code}: ${text}`, { secrets: context.secrets.filter(Boolean) });
  return new GraphError(code, message, options);
}

/** The failure for a final (non-retried or retries-exhausted) HTTP status of a Graph call. */
export function statusError(status: number, method: string, url: URL, retries: number, context: ErrorContext): GraphError {
  const what = `${method} ${describePath(url)} answered HTTP ${status}`;
  const after = retries > 0 ? ` after ${retries} ${retries === 1 ? 'retry' : 'retries'}` : '';
  if (status === 429) return graphError('graph.throttled', what + after, context, { status, transient: true });
  if (status >= 500) return graphError('graph.unavailable', what + after, context, { status, transient: true });
  if (status === 401 || status === 403) return graphError('graph.forbidden', what, context, { status, transient: false });
  if (status === 404) return graphError('graph.not_found', what, context, { status, transient: false });
  // other 4xx, redirects (never followed: they could carry the token elsewhere), unexpected 2xx
  return graphError('graph.bad_response', what, context, { status, transient: false });
}

/** A short, safe reason for a network failure (e.g. ECONNREFUSED), never the peer's text. */
export function networkReason(err: unknown): string {
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  const code = cause && typeof cause.code === 'string' ? cause.code : undefined;
  return code && /^[A-Z0-9_]{2,40}$/.test(code) ? code : 'network error';
}

/**
 * The request path for a message: in full when the sanitizer leaves it
 * alone, else its last three segments. The sanitizer takes any 48-character
 * run of [A-Za-z0-9+/] for a base64 blob, and Graph paths are such runs
 * (/beta/deviceManagement/deviceConfigurations/…); the tail still names the
 * policy and the action, and survives a second sanitizing downstream.
 */
export function describePath(url: URL): string {
  const full = url.pathname;
  if (sanitizeMessage(full) === full) return full;
  return `…/${full.split('/').filter(Boolean).slice(-3).join('/')}`;
}
