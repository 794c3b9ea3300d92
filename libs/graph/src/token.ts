import type { Logger } from 'pino';
import { describePath, graphError, networkReason } from './errors.ts';
import { isGraphError } from './types.ts';

/**
 * Client-credentials tokens, one per tenant, cached until shortly before they
 * expire. Concurrent callers for one tenant share one in-flight token request
 * (a burst of jobs for a tenant must not hammer the token endpoint); each
 * caller still gives up as soon as its own signal aborts.
 */
export interface TokenSource {
  /** `cached` tells the caller a 401 may mean "revoked early": refresh and retry once */
  get(tenant: string, signal?: AbortSignal): Promise<{ token: string; cached: boolean }>;
  /** drops the tenant's token if it is still this one (a newer one stays) */
  invalidate(tenant: string, token: string): void;
}

interface TokenSourceOptions {
  readonly authorityUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly timeoutMs: number;
  readonly logger?: Logger | undefined;
}

const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
/** renew this long before expiry so a token never expires mid-request */
const EXPIRY_MARGIN_MS = 60_000;

interface CachedToken {
  readonly token: string;
  readonly expiresAt: number;
}

export function createTokenSource(options: TokenSourceOptions): TokenSource {
  const cache = new Map<string, CachedToken>();
  const pending = new Map<string, Promise<CachedToken>>();
  return {
    async get(tenant, signal) {
      signal?.throwIfAborted();
      const hit = cache.get(tenant);
      if (hit && hit.expiresAt > Date.now()) return { token: hit.token, cached: true };
      let request = pending.get(tenant);
      if (!request) {
        request = requestToken(options, tenant)
          .then((fresh) => {
            cache.set(tenant, fresh);
            return fresh;
          })
          .finally(() => pending.delete(tenant));
        // every caller may have aborted: a failure nobody awaits must not crash the process
        request.catch(() => undefined);
        pending.set(tenant, request);
      }
      const fresh = await untilAborted(request, signal);
      return { token: fresh.token, cached: false };
    },
    invalidate(tenant, token) {
      if (cache.get(tenant)?.token === token) cache.delete(tenant);
    },
  };
}

async function requestToken(options: TokenSourceOptions, tenant: string): Promise<CachedToken> {
  const url = new URL(`${options.authorityUrl.replace(/\/+$/, '')}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`);
  const context = { secrets: [options.clientSecret] };
  const what = `POST ${describePath(url)}`;
  const body = new URLSearchParams({
    client_id: options.clientId,
    client_secret: options.clientSecret,
    grant_type: 'client_credentials',
    scope: GRAPH_SCOPE,
  });
  // its own timeout only: the request is shared, one caller's abort must not fail the others
  const timeout = AbortSignal.timeout(options.timeoutMs);
  let status: number;
  let text: string;
  try {
    const res = await fetch(url, { method: 'POST', body, signal: timeout, redirect: 'manual', headers: { accept: 'application/json' } });
    status = res.status;
    if (status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      // throttling and outages of the token endpoint pass; a refused client does not
      const transient = status === 429 || status >= 500;
      throw graphError('graph.auth_failed', `${what} answered HTTP ${status}`, context, { status, transient });
    }
    text = await res.text();
  } catch (err) {
    if (isGraphError(err)) throw err;
    if (timeout.aborted) {
      throw graphError('graph.auth_failed', `${what} did not answer within ${options.timeoutMs} ms`, context, { transient: true });
    }
    throw graphError('graph.auth_failed', `${what} failed: ${networkReason(err)}`, context, { transient: true, cause: err });
  }
  const parsed = parseTokenBody(text);
  if (!parsed) throw graphError('graph.auth_failed', `${what} answered with an unexpected body`, context, { status, transient: false });
  options.logger?.debug({ tenant, expiresInSeconds: parsed.expiresIn }, 'graph token acquired');
  return { token: parsed.token, expiresAt: Date.now() + parsed.expiresIn * 1000 - EXPIRY_MARGIN_MS };
}

function parseTokenBody(text: string): { token: string; expiresIn: number } | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const { access_token: token, expires_in: rawExpiresIn } = body as Record<string, unknown>;
  // v2 endpoints send a number, older ones a numeric string
  const expiresIn = typeof rawExpiresIn === 'string' ? Number(rawExpiresIn) : rawExpiresIn;
  if (typeof token !== 'string' || token === '' || typeof expiresIn !== 'number' || !Number.isFinite(expiresIn)) return undefined;
  return { token, expiresIn };
}

/** The promise's outcome, or the signal's reason as soon as it aborts (the promise keeps running). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
