import type { RunLeaseV1 } from '@ops/contracts';
import { describe, expect, it } from 'vitest';
import { type Claim, decideOnExistingLease } from './lease.ts';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const STALE_MS = 30_000;
const RUN = '7f0c2a52-8d4e-4b7e-9a51-2f3c6d8e9a10';
const OTHER_RUN = '1b2d3f4a-5c6e-4d8f-8a1b-3c5d7e9f0a12';
const claim: Claim = { runId: RUN, streamSeq: 42 };

/** a lease whose last heartbeat is `ageMs` before NOW */
function lease(overrides: Partial<RunLeaseV1> & { ageMs?: number } = {}): RunLeaseV1 {
  const { ageMs = 0, ...rest } = overrides;
  return {
    kind: 'run',
    run_id: RUN,
    owner: 'worker-a',
    attempt: 1,
    state: 'running',
    heartbeat_at: new Date(NOW.getTime() - ageMs).toISOString(),
    stream_seq: 42,
    ...rest,
  };
}

const decide = (existing: RunLeaseV1 | null, c: Claim = claim) => decideOnExistingLease(existing, c, NOW, STALE_MS);

describe('decideOnExistingLease', () => {
  it('an unreadable lease value: waits a whole stale period rather than guess', () => {
    expect(decide(null)).toEqual({ kind: 'wait', retryInMs: STALE_MS });
  });

  describe('a completed lease (the cooldown marker)', () => {
    it('of this run: already completed (its ack was lost) — however old the heartbeat', () => {
      expect(decide(lease({ state: 'completed' }))).toEqual({ kind: 'already_completed' });
      expect(decide(lease({ state: 'completed', ageMs: 10 * STALE_MS }))).toEqual({ kind: 'already_completed' });
    });

    it('of another run of the identity: cooldown (skip this run)', () => {
      expect(decide(lease({ state: 'completed', run_id: OTHER_RUN }))).toEqual({ kind: 'cooldown' });
    });
  });

  describe('another run holds the lease', () => {
    it('with a fresh heartbeat: waits until the holder would turn stale', () => {
      expect(decide(lease({ run_id: OTHER_RUN, ageMs: 10_000 }))).toEqual({ kind: 'wait', retryInMs: STALE_MS - 10_000 });
    });

    it('with a stale heartbeat: still waits (never takes over another run), looking again after the 1 s floor', () => {
      expect(decide(lease({ run_id: OTHER_RUN, ageMs: STALE_MS + 1 }))).toEqual({ kind: 'wait', retryInMs: 1_000 });
      expect(decide(lease({ run_id: OTHER_RUN, ageMs: 10 * STALE_MS }))).toEqual({ kind: 'wait', retryInMs: 1_000 });
    });
  });

  describe('this run holds the lease', () => {
    it('with a stale heartbeat (its worker died): takeover — from this message or another one', () => {
      expect(decide(lease({ ageMs: STALE_MS + 1 }))).toEqual({ kind: 'takeover' });
      expect(decide(lease({ ageMs: STALE_MS + 1, stream_seq: 7 }))).toEqual({ kind: 'takeover' });
    });

    it('a heartbeat exactly staleMs old is not stale yet (stale means older than staleMs)', () => {
      expect(decide(lease({ ageMs: STALE_MS }))).toEqual({ kind: 'wait', retryInMs: 1_000 });
      expect(decide(lease({ ageMs: STALE_MS, stream_seq: 7 }))).toEqual({ kind: 'duplicate' });
    });

    it('alive, from another message of the stream (another stream sequence): duplicate', () => {
      expect(decide(lease({ ageMs: 1_000, stream_seq: 7 }))).toEqual({ kind: 'duplicate' });
    });

    it('alive, from this very message (a redelivery while it runs): waits for the rest of the stale period', () => {
      expect(decide(lease({ ageMs: 0 }))).toEqual({ kind: 'wait', retryInMs: STALE_MS });
      expect(decide(lease({ ageMs: 12_345 }))).toEqual({ kind: 'wait', retryInMs: STALE_MS - 12_345 });
    });

    it('waits between 1 s and staleMs for any heartbeat age from 0 to staleMs', () => {
      for (const ageMs of [0, 1, 999, STALE_MS - 1_000, STALE_MS - 1, STALE_MS]) {
        const decision = decide(lease({ ageMs }));
        expect(decision.kind, `age ${ageMs}`).toBe('wait');
        const { retryInMs } = decision as { retryInMs: number };
        expect(retryInMs, `age ${ageMs}`).toBeGreaterThanOrEqual(1_000);
        expect(retryInMs, `age ${ageMs}`).toBeLessThanOrEqual(STALE_MS);
      }
    });

    it('a heartbeat from the future (clock skew between workers) counts as fresh: it waits staleMs plus the skew', () => {
      expect(decide(lease({ ageMs: -5_000 }))).toEqual({ kind: 'wait', retryInMs: STALE_MS + 5_000 });
    });
  });
});
