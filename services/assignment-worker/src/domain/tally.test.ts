import { FAILURE_CODES, FAILURE_LIMITS, type FailureCode } from '@ops/contracts';
import fc from 'fast-check';
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

  describe('the whole attempt fails (failRun): every item counted once, wherever it fails', () => {
    it('before the selection is resolved: no item counted, the failure named once — {0,0,0}, never {0,0,1}', () => {
      const tally = new Tally(0);
      tally.failRun('run.internal', 'the tenant was not found');
      expect(tally.counts()).toEqual({ total: 0, processed: 0, failed: 0 });
      expect(tally.failures()).toEqual([expect.objectContaining({ code: 'run.internal', count: 1 })]);
    });

    it('after every item was processed (the last renewal or the completed publish): {3,3,0} — never the last item twice', () => {
      const tally = new Tally(3);
      for (let i = 0; i < 3; i += 1) {
        tally.begin();
        tally.succeed();
      }
      tally.failRun('run.internal', 'the final renewal failed');
      expect(tally.counts()).toEqual({ total: 3, processed: 3, failed: 0 });
    });

    it('mid-item: the item in flight counts as failed, once', () => {
      const tally = new Tally(3);
      tally.begin();
      tally.succeed();
      tally.begin();
      tally.failRun('graph.unavailable', '503 past retries');
      expect(tally.counts()).toEqual({ total: 3, processed: 1, failed: 1 });
    });

    it('property: for any run and any failure point, processed + failed ≤ total and the failure is named', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 20 }),
          fc.array(fc.boolean(), { maxLength: 20 }),
          fc.constantFrom('before_item', 'mid_item', 'after_items'),
          (total, results, where) => {
            const tally = new Tally(total);
            const items = results.slice(0, total);
            for (const ok of items) {
              tally.begin();
              if (ok) tally.succeed();
              else tally.fail('graph.not_found', 'gone');
            }
            if (where === 'mid_item' && items.length < total) tally.begin();
            tally.failRun('run.internal', 'boom');
            const c = tally.counts();
            expect(c.processed + c.failed).toBeLessThanOrEqual(c.total);
            expect(c.processed).toBe(items.filter(Boolean).length);
            const inFlight = where === 'mid_item' && items.length < total ? 1 : 0;
            expect(c.failed).toBe(items.filter((ok) => !ok).length + inFlight);
            expect(tally.failures().some((f) => f.code === 'run.internal')).toBe(true);
          },
        ),
        { seed: 4242 },
      );
    });
  });
});
