import { describe, expect, it } from 'vitest';
import { decodeLease, encodeLease, leaseKey, type RunLeaseV1, type WorkspaceLeaseV1 } from './lease.v1.ts';

const RUN_ID = '0b7e1a52-8f0e-4c1d-9a53-6f1d2f1c0a01';
const AT = '2030-01-01T12:00:00.000Z';
const runLease: RunLeaseV1 = { kind: 'run', run_id: RUN_ID, owner: 'w-1', attempt: 2, state: 'running', heartbeat_at: AT, stream_seq: 9 };
const workspaceLease: WorkspaceLeaseV1 = { kind: 'workspace', run_id: null, owner: 'hk-1', state: 'running', tick: AT, heartbeat_at: AT };
const bytes = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

describe('lease values of ops_locks (v1)', () => {
  it('a run lease and a workspace lease round-trip through encodeLease / decodeLease', () => {
    expect(decodeLease(encodeLease(runLease))).toEqual(runLease);
    expect(decodeLease(encodeLease({ ...runLease, state: 'completed', completed_at: AT }))).toMatchObject({ state: 'completed' });
    expect(decodeLease(encodeLease(workspaceLease))).toEqual(workspaceLease);
    expect(decodeLease(encodeLease({ ...workspaceLease, run_id: RUN_ID, tick: `on-demand:${AT}` }))).toMatchObject({ run_id: RUN_ID });
  });

  it('anything else is invalid, never coerced: garbage, bad UTF-8, no kind, an unknown or missing field, the wrong kind for its fields', () => {
    const { kind: _, ...withoutKind } = runLease;
    for (const value of [
      bytes('not json'),
      new Uint8Array([0xff, 0xfe]),
      bytes(withoutKind),
      bytes({ ...runLease, extra: 1 }),
      bytes({ ...runLease, attempt: 0 }),
      bytes({ ...runLease, state: 'paused' }),
      bytes({ ...runLease, kind: 'workspace' }),
      bytes({ ...workspaceLease, kind: 'run' }),
      bytes({ ...workspaceLease, heartbeat_at: 'yesterday' }),
      bytes(null),
    ]) {
      expect(decodeLease(value)).toBe('invalid');
    }
  });

  it('encodeLease refuses to store a value its schema refuses (a writer bug is thrown, not stored)', () => {
    expect(() => encodeLease({ ...runLease, attempt: 0 })).toThrow();
  });

  it('the key of an identity is <type>.<identity-hash>', () => {
    expect(leaseKey('assignments.fetch', 'ab'.repeat(32))).toBe(`assignments.fetch.${'ab'.repeat(32)}`);
  });
});
