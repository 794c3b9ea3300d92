import { describe, expect, it } from 'vitest';
import { backoffMs, parseRetryAfter, retryWaitMs } from '../src/retry.ts';

describe('Retry-After and backoff', () => {
  it('reads delta-seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7_000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:03 GMT', now)).toBe(3_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('backs off from 200 ms, doubling, with jitter, capped', () => {
    expect(backoffMs(0, 60_000, () => 0)).toBe(100);
    expect(backoffMs(0, 60_000, () => 1)).toBe(200);
    expect(backoffMs(3, 60_000, () => 1)).toBe(1_600);
    expect(backoffMs(30, 5_000, () => 0.5)).toBe(5_000);
  });

  it('prefers the hint, capped like the backoff', () => {
    expect(retryWaitMs('3', 0, 10_000)).toBe(3_000);
    expect(retryWaitMs('120', 0, 10_000)).toBe(10_000);
    expect(retryWaitMs(null, 1, 10_000)).toBeGreaterThanOrEqual(200);
  });
});
