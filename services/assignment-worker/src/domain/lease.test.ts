import type { RunLeaseV1 } from '@ops/contracts';
import { describe, expect, it } from 'vitest';
import { type Claim, decideOnExistingLease, type Liveness, nextAttempt } from './lease.ts';

const STALE_MS = 30_000;
const RUN = '7f0c2a52-8d4e-4b7e-9a51-2f3c6d8e9a10';
const OTHER_RUN = '1b2d3f4a-5c6e-4d8f-8a1b-3c5d7e9f0a12';
const claim: Claim = { runId: RUN, streamSeq: 42 };
const LIVENESS: readonly Liveness[] = ['unobserved', 'alive', 'stale'];

function lease(overrides: Partial<RunLeaseV1> = {}): RunLeaseV1 {
  return {
    kind: 'run',
    run_id: RUN,
    owner: 'worker-a',
    attempt: 1,
    state: 'running',
    heartbeat_at: '2026-03-01T12:00:00.000Z',
    stream_seq: 42,
    ...overrides,
  };
}

const decide = (existing: RunLeaseV1 | null, liveness: Liveness = 'unobserved', c: Claim = claim) =>
  decideOnExistingLease(existing, c, liveness, STALE_MS);

describe('decideOnExistingLease', () => {
  it('an unreadable lease value: waits a whole stale period rather than guess, whatever was observed', () => {
    for (const l of LIVENESS) expect(decide(null, l)).toEqual({ kind: 'wait', retryInMs: STALE_MS });
  });

  describe('a completed lease (the cooldown marker)', () => {
    it('of this run: already completed (its ack was lost)', () => {
      for (const l of LIVENESS) expect(decide(lease({ state: 'completed' }), l)).toEqual({ kind: 'already_completed' });
    });

    it('of another run of the identity: cooldown (skip this run)', () => {
      for (const l of LIVENESS) expect(decide(lease({ state: 'completed', run_id: OTHER_RUN }), l)).toEqual({ kind: 'cooldown' });
    });
  });

  it('another run holds the lease (running or retrying): waits — never takes over another run, however stale', () => {
    for (const state of ['running', 'retrying'] as const) {
      for (const l of LIVENESS) {
        expect(decide(lease({ run_id: OTHER_RUN, state }), l), `${state} ${l}`).toEqual({ kind: 'wait', retryInMs: STALE_MS });
      }
    }
  });

  it('this run was given back for a retry: its next attempt takes the lease at once, from any message', () => {
    for (const l of LIVENESS) {
      expect(decide(lease({ state: 'retrying', retry_after_ms: 2_000 }), l)).toEqual({ kind: 'take' });
      expect(decide(lease({ state: 'retrying', stream_seq: 7 }), l)).toEqual({ kind: 'take' });
    }
  });

  describe('this run is running elsewhere', () => {
    it('not judged yet: observe its revision first — no decision is taken from heartbeat_at (another host wrote it)', () => {
      expect(decide(lease())).toEqual({ kind: 'observe' });
      // a heartbeat_at from the far past or future changes nothing
      expect(decide(lease({ heartbeat_at: '1999-01-01T00:00:00.000Z' }))).toEqual({ kind: 'observe' });
      expect(decide(lease({ heartbeat_at: '2099-01-01T00:00:00.000Z', stream_seq: 7 }))).toEqual({ kind: 'observe' });
    });

    it('seen unchanged for the stale time (its holder died, froze or was cut off): take it over — from this message or another', () => {
      expect(decide(lease(), 'stale')).toEqual({ kind: 'take' });
      expect(decide(lease({ stream_seq: 7 }), 'stale')).toEqual({ kind: 'take' });
    });

    it('seen alive, from another message of the stream: duplicate', () => {
      expect(decide(lease({ stream_seq: 7 }), 'alive')).toEqual({ kind: 'duplicate' });
    });

    it('seen alive, from this very message (redelivered while its holder works): waits a stale period', () => {
      expect(decide(lease(), 'alive')).toEqual({ kind: 'wait', retryInMs: STALE_MS });
    });
  });
});

describe('nextAttempt', () => {
  it('is one more than any attempt the lease or the ledger has seen', () => {
    expect(nextAttempt(null, 0)).toBe(1);
    expect(nextAttempt(null, 3)).toBe(4);
    expect(nextAttempt(lease({ attempt: 2 }), 0)).toBe(3);
    // the ledger lags: the lease knows better
    expect(nextAttempt(lease({ attempt: 5 }), 2)).toBe(6);
    // the lease expired and a new one of another message lost count: the ledger knows better
    expect(nextAttempt(lease({ attempt: 1 }), 4)).toBe(5);
  });
});
