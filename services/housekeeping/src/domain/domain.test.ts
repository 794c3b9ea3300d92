import type { ActiveRunV1, RunLeaseV1 } from '@ops/contracts';
import { describe, expect, it } from 'vitest';
import { chooseLease } from './lease.ts';
import { judgeRun } from './verdict.ts';

const now = new Date('2030-01-01T12:00:00.000Z');
const ago = (s: number) => new Date(now.getTime() - s * 1000).toISOString();
const t = { staleGraceMs: 120_000, queuedAfterMs: 300_000 };
const run = (patch: Partial<ActiveRunV1>): ActiveRunV1 =>
  ({
    id: '0a0e4bd4-5b3e-4c55-9d0c-8d3f0a7c1b21',
    workspace_id: '0a0e4bd4-5b3e-4c55-9d0c-8d3f0a7c1b22',
    tenant_id: '0a0e4bd4-5b3e-4c55-9d0c-8d3f0a7c1b23',
    type: 'assignments.fetch',
    status: 'running',
    outcome: 'pending',
    run_identity_hash: 'a'.repeat(64),
    summary_counts: {},
    failure_summary: [],
    context: { inputs: { policy_ids: [] } },
    attempt: 1,
    dedupe_hits: 0,
    initiator_name: 't',
    started_at: ago(600),
    completed_at: null,
    created_at: ago(600),
    updated_at: ago(600),
    last_event_at: ago(600),
    ...patch,
  }) as ActiveRunV1;
const lease = (runId: string, heartbeatSecondsAgo: number, state: 'running' | 'completed' = 'running'): RunLeaseV1 => ({
  kind: 'run',
  run_id: runId,
  owner: 'worker-1',
  attempt: 1,
  state,
  heartbeat_at: new Date(now.getTime() - heartbeatSecondsAgo * 1000).toISOString(),
  stream_seq: 1,
});

describe('judgeRun', () => {
  const id = run({}).id;
  it('heals a quiet running run whose lease is gone or belongs to another run', () => {
    expect(judgeRun(run({}), null, now, t).kind).toBe('stale');
    expect(judgeRun(run({}), lease('5c7f9c1e-2a3b-4c5d-8e9f-0a1b2c3d4e5f', 1), now, t).kind).toBe('stale');
  });
  it('heals when the heartbeat is older than expected duration + grace, not before', () => {
    expect(judgeRun(run({}), lease(id, 300 + 121), now, t).kind).toBe('stale');
    expect(judgeRun(run({}), lease(id, 300 + 119), now, t).kind).toBe('ok');
  });
  it('leaves alone a run that spoke recently, or whose completion is on its way', () => {
    expect(judgeRun(run({ last_event_at: ago(10) }), null, now, t).kind).toBe('ok');
    expect(judgeRun(run({}), lease(id, 900, 'completed'), now, t).kind).toBe('ok');
    // an unreadable lease is never taken for a dead worker (the TTL removes it; the next tick decides)
    expect(judgeRun(run({}), 'invalid', now, t).kind).toBe('ok');
  });
  it('republishes an old queued job, declares it lost when its inputs cannot be rebuilt', () => {
    expect(judgeRun(run({ status: 'queued', last_event_at: null, created_at: ago(301) }), null, now, t).kind).toBe('republish');
    expect(judgeRun(run({ status: 'queued', last_event_at: null, created_at: ago(299) }), null, now, t).kind).toBe('ok');
    expect(
      judgeRun(run({ status: 'queued', last_event_at: null, created_at: ago(301), context: { inputs: { secret: 1 } } }), null, now, t).kind,
    ).toBe('lost');
  });
  it("never republishes housekeeping's own queued runs (no job exists for them)", () => {
    expect(
      judgeRun(
        run({ status: 'queued', type: 'ops.reconcile_adapter_runs', tenant_id: null, created_at: ago(900), last_event_at: null }),
        null,
        now,
        t,
      ).kind,
    ).toBe('ok');
  });
});

describe('chooseLease', () => {
  const v = (tick: string, state: 'running' | 'completed', beatSecondsAgo: number) => ({
    value: { kind: 'workspace' as const, run_id: null, owner: 'x', state, tick, heartbeat_at: ago(beatSecondsAgo) },
    revision: 7,
  });
  it('creates when absent; stands down for the same tick or a live execution; takes a finished or stale one', () => {
    expect(chooseLease(null, 'T1', now, 120_000)).toEqual({ kind: 'create' });
    expect(chooseLease(v('T1', 'completed', 1), 'T1', now, 120_000).kind).toBe('stand_down');
    expect(chooseLease(v('T0', 'running', 10), 'T1', now, 120_000).kind).toBe('stand_down');
    expect(chooseLease(v('T0', 'completed', 10), 'T1', now, 120_000)).toEqual({ kind: 'take', revision: 7 });
    expect(chooseLease(v('T0', 'running', 121), 'T1', now, 120_000)).toEqual({ kind: 'take', revision: 7 });
  });
  it('stands down on an unreadable lease instead of guessing it is over (the bucket TTL removes it)', () => {
    expect(chooseLease({ value: null, revision: 7 }, 'T1', now, 120_000)).toEqual({ kind: 'stand_down', runId: null });
  });
});
