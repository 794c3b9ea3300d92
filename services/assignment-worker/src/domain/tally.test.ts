import { FAILURE_CODES, FAILURE_LIMITS, type FailureCode } from '@ops/contracts';
import { describe, expect, it } from 'vitest';
import { Tally } from './tally.ts';

describe('Tally', () => {
  it('starts at total items, nothing processed or failed, no failures', () => {
    const tally = new Tally(3);
    expect(tally.counts()).toEqual({ total: 3, processed: 0, failed: 0 });
    expect(tally.failures()).toEqual([]);
  });

  it('counts each success as processed and each failure as failed', () => {
    const tally = new Tally(4);
    tally.succeed();
    tally.succeed();
    tally.fail('graph.not_found', 'policy gone');
    expect(tally.counts()).toEqual({ total: 4, processed: 2, failed: 1 });
  });

  it('keeps one failure entry per code, with how often it happened and the first message', () => {
    const tally = new Tally(3);
    tally.fail('graph.throttled', 'first 429');
    tally.fail('graph.not_found', 'policy gone');
    tally.fail('graph.throttled', 'second 429');
    expect(tally.failures()).toEqual([
      { code: 'graph.throttled', message: 'first 429', count: 2 },
      { code: 'graph.not_found', message: 'policy gone', count: 1 },
    ]);
  });

  it("falls back to the registry's operator message when the failure has no message", () => {
    const tally = new Tally(1);
    tally.fail('graph.timeout', '');
    expect(tally.failures()).toEqual([{ code: 'graph.timeout', message: FAILURE_CODES['graph.timeout'], count: 1 }]);
  });

  it('sanitizes the message: the given secrets are redacted, the text is one line and bounded', () => {
    const tally = new Tally(1);
    const secret = 'client-secret-Zq81x';
    tally.fail('graph.auth_failed', `token refused for ${secret}\nline two ${'x'.repeat(2_000)}`, [secret]);
    const [entry] = tally.failures();
    expect(entry!.message).not.toContain(secret);
    expect(entry!.message).toContain('[redacted]');
    expect(entry!.message).not.toContain('\n');
    expect(entry!.message.length).toBeLessThanOrEqual(FAILURE_LIMITS.maxMessageLength);
  });

  it(`lists at most ${FAILURE_LIMITS.maxEntries} failure codes; failures beyond are still counted`, () => {
    const codes = Array.from({ length: FAILURE_LIMITS.maxEntries + 3 }, (_, i) => `test.code_${i}` as FailureCode);
    const tally = new Tally(codes.length);
    for (const code of codes) tally.fail(code, 'boom');
    expect(tally.failures()).toHaveLength(FAILURE_LIMITS.maxEntries);
    expect(tally.failures().map((f) => f.code)).toEqual(codes.slice(0, FAILURE_LIMITS.maxEntries));
    expect(tally.counts().failed).toBe(codes.length);
    // a listed code keeps counting after the list is full
    tally.fail(codes[0]!, 'again');
    expect(tally.failures()[0]!.count).toBe(2);
  });

  describe('outcome', () => {
    it('succeeded when nothing failed (an empty run included)', () => {
      const tally = new Tally(2);
      tally.succeed();
      tally.succeed();
      expect(tally.outcome()).toBe('succeeded');
      expect(new Tally(0).outcome()).toBe('succeeded');
    });

    it('partially_succeeded when some items failed and some were processed', () => {
      const tally = new Tally(2);
      tally.succeed();
      tally.fail('graph.not_found', 'gone');
      expect(tally.outcome()).toBe('partially_succeeded');
    });

    it('failed when items failed and none was processed', () => {
      const tally = new Tally(2);
      tally.fail('graph.unavailable', '503');
      tally.fail('graph.unavailable', '503');
      expect(tally.outcome()).toBe('failed');
    });
  });
});
