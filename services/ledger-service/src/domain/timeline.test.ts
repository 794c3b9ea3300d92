import type { LedgerEventV1 } from '@ops/contracts';
import { describe, expect, it } from 'vitest';
import { recordsIgnored, timelineRow } from './timeline.ts';
import { decodeTimelineCursor, encodeTimelineCursor } from './timeline-cursor.ts';

const RUN = '0d9f1c3e-5b7a-4c2d-8e6f-1a2b3c4d5e6f';
const ids = { v: 1 as const, run_id: RUN, workspace_id: '1d9f1c3e-5b7a-4c2d-8e6f-1a2b3c4d5e6f', attempt: 2 };
const now = new Date('2026-03-01T12:00:00.000Z');

describe('timeline rows of ledger events', () => {
  it('progress keeps only its counters; started its owner, or nothing', () => {
    const progress: LedgerEventV1 = {
      ...ids,
      kind: 'progress',
      seq: 3,
      at: '2026-03-01T11:00:00.000Z',
      counts: { total: 3, processed: 1, failed: 0 },
      owner: 'w',
    };
    expect(timelineRow(progress, 17, now, null)).toEqual({
      run_id: RUN,
      kind: 'progress',
      attempt: 2,
      seq: 3,
      at: '2026-03-01T11:00:00.000Z',
      stream_seq: 17,
      ignored: null,
      detail: { counts: { total: 3, processed: 1, failed: 0 } },
    });
    expect(timelineRow({ ...ids, kind: 'started', seq: 0, at: '2026-03-01T11:00:00.000Z' }, 1, now, null).detail).toBeNull();
    expect(timelineRow({ ...ids, kind: 'started', seq: 0, at: '2026-03-01T11:00:00.000Z', owner: 'w' }, 1, now, null).detail).toEqual({
      owner: 'w',
    });
  });

  it('a completion with heal: true is a heal; failures only when there are some', () => {
    const completed: LedgerEventV1 = {
      ...ids,
      kind: 'completed',
      seq: 0,
      at: '2026-03-01T11:00:00.000Z',
      outcome: 'failed',
      counts: { total: 0, processed: 0, failed: 0 },
      failures: [{ code: 'run.stale', message: 'stale', count: 1 }],
      heal: true,
    };
    expect(timelineRow(completed, 5, now, 'heal_after_completion')).toMatchObject({
      kind: 'heal',
      ignored: 'heal_after_completion',
      detail: { outcome: 'failed', failures: [{ code: 'run.stale' }] },
    });
    const real = timelineRow({ ...completed, heal: undefined, outcome: 'succeeded', failures: [] } as LedgerEventV1, 6, now, null);
    expect(real.kind).toBe('completed');
    expect(real.detail).toEqual({ outcome: 'succeeded', counts: { total: 0, processed: 0, failed: 0 } });
  });

  it("a worker's clock ahead of the ledger's is clamped to the ledger's", () => {
    const row = timelineRow({ ...ids, kind: 'started', seq: 0, at: '2026-03-01T13:00:00.000Z' }, 1, now, null);
    expect(row.at).toBe(now.toISOString());
  });

  it('a redelivery (the duplicate reason) is the one refusal not recorded', () => {
    expect(recordsIgnored('duplicate')).toBe(false);
    for (const reason of ['stale_attempt', 'out_of_order', 'after_completion', 'heal_after_completion'] as const) {
      expect(recordsIgnored(reason)).toBe(true);
    }
  });
});

describe('get_run_timeline cursor', () => {
  const raw = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it('round-trips an event key and an action key, microseconds kept', () => {
    for (const k of ['00000000000000000042', `1${RUN}`]) {
      const cursor = { at: '2026-03-01T12:34:56.789123Z', k };
      expect(decodeTimelineCursor(encodeTimelineCursor(cursor))).toEqual(cursor);
    }
  });

  it.each([
    ['not base64 JSON', 'x'],
    ['a wrong arity', raw(['2026-03-01T12:34:56Z'])],
    ['a key of another shape', raw(['2026-03-01T12:34:56Z', '42'])],
    ['a date PostgreSQL refuses', raw(['0000-01-01T00:00:00Z', '00000000000000000042'])],
  ])('refuses %s as a bad request', (_label, value) => {
    expect(() => decodeTimelineCursor(value)).toThrow(expect.objectContaining({ code: 'bad_request' }));
  });
});
