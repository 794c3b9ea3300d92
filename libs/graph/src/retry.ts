/**
 * When and how long to wait before retrying a throttled or unavailable Graph
 * call. Graph tells us how long with Retry-After (seconds or an HTTP date);
 * without it we back off exponentially. Every wait is capped so one slow
 * tenant cannot hold a worker for minutes.
 */

/** Waits `ms`, rejecting with the signal's reason as soon as the caller aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Statuses worth retrying in place: throttling and gateway/availability failures. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

const FIRST_BACKOFF_MS = 200;

export const sleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Retry-After in ms (delta-seconds or HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, now: number = Date.now()): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** 200 ms, 400 ms, 800 ms … with "equal jitter" (half fixed, half random) so replicas spread out. */
export function backoffMs(retry: number, capMs: number, random: () => number = Math.random): number {
  const base = FIRST_BACKOFF_MS * 2 ** Math.min(retry, 20);
  return Math.min(capMs, Math.round(base / 2 + random() * (base / 2)));
}

/** The wait before retry number `retry` (0-based): Graph's hint if given, else backoff; both capped. */
export function retryWaitMs(retryAfter: string | null, retry: number, capMs: number): number {
  const hinted = parseRetryAfter(retryAfter);
  return hinted === undefined ? backoffMs(retry, capMs) : Math.min(hinted, capMs);
}
