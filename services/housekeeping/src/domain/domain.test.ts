import type { ActiveRunV1, RunLeaseV1 } from '@ops/contracts';
import { describe, expect, it } from 'vitest';
import { chooseLease } from './lease.ts';
import { LeaseObservations } from './observations.ts';
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
  const live = (state: 'running' | 'completed' = 'running') => lease(id, 0, state);
  it('heals a quiet running run whose lease is gone or belongs to another run', () => {
    expect(judgeRun(run({}), null, 0, now, t).kind).toBe('stale');
    expect(judgeRun(run({}), lease('5c7f9c1e-2a3b-4c5d-8e9f-0a1b2c3d4e5f', 1), 0, now, t).kind).toBe('stale');
  });
  it('heals when this replica saw the lease unchanged for longer than expected duration + grace, not before', () => {
    expect(judgeRun(run({}), live(), (300 + 121) * 1000, now, t).kind).toBe('stale');
    expect(judgeRun(run({}), live(), (300 + 119) * 1000, now, t).kind).toBe('ok');
    // first sight: never stale, however old its heartbeat_at (another host wrote it, on another clock)
    expect(judgeRun(run({}), lease(id, 86_400), 0, now, t).kind).toBe('ok');
  });
  it('a heartbeat_at from the future or the past (clock skew) changes nothing: only the observation counts', () => {
    expect(judgeRun(run({}), lease(id, -3_600), (300 + 121) * 1000, now, t).kind).toBe('stale');
    expect(judgeRun(run({}), lease(id, 3_600), 1_000, now, t).kind).toBe('ok');
  });
  it('leaves alone a run that spoke recently, or whose completion is on its way', () => {
    expect(judgeRun(run({ last_event_at: ago(10) }), null, 0, now, t).kind).toBe('ok');
    expect(judgeRun(run({}), live('completed'), 10 * 3_600_000, now, t).kind).toBe('ok');
    // an unreadable lease is never taken for a dead worker (the TTL removes it; the next tick decides)
    expect(judgeRun(run({}), 'invalid', 10 * 3_600_000, now, t).kind).toBe('ok');
  });
  it('a completion marker with its result is finished from the marker once the run is quiet past the grace (issue #18)', () => {
    const result = {
      outcome: 'succeeded' as const,
      counts: { total: 1, processed: 1, failed: 0 },
      failures: [],
      seq: 1,
      at: ago(200),
      started_at: ago(201),
    };
    const marker = { ...live('completed'), result };
    expect(judgeRun(run({}), marker, 0, now, t)).toEqual({ kind: 'finish', marker });
    // a queued run too: a short attempt published no started event
    expect(judgeRun(run({ status: 'queued', last_event_at: null, created_at: ago(200) }), marker, 0, now, t).kind).toBe('finish');
    // not before the grace: the worker publishes it right after the marker
    expect(judgeRun(run({ last_event_at: ago(10) }), marker, 0, now, t).kind).toBe('ok');
  });

  it('a queued run whose lease is its own is executing: never republished, judged like a running run (issue #18)', () => {
    const queued = run({ status: 'queued', last_event_at: null, created_at: ago(3_600) });
    expect(judgeRun(queued, live(), 1_000, now, t).kind).toBe('ok');
    expect(judgeRun(queued, live(), (300 + 121) * 1000, now, t).kind).toBe('stale');
    // another run's lease is not its own: the job is republished as before
    expect(judgeRun(queued, lease('5c7f9c1e-2a3b-4c5d-8e9f-0a1b2c3d4e5f', 1), 0, now, t).kind).toBe('republish');
  });

  it('republishes an old queued job, declares it lost when its inputs cannot be rebuilt', () => {
    expect(judgeRun(run({ status: 'queued', last_event_at: null, created_at: ago(301) }), null, 0, now, t).kind).toBe('republish');
    expect(judgeRun(run({ status: 'queued', last_event_at: null, created_at: ago(299) }), null, 0, now, t).kind).toBe('ok');
    expect(
      judgeRun(run({ status: 'queued', last_event_at: null, created_at: ago(301), context: { inputs: { secret: 1 } } }), null, 0, now, t)
        .kind,
    ).toBe('lost');
  });
  it("never republishes housekeeping's own queued runs (no job exists for them)", () => {
    expect(
      judgeRun(
        run({ status: 'queued', type: 'ops.reconcile_adapter_runs', tenant_id: null, created_at: ago(900), last_event_at: null }),
        null,
        0,
        now,
        t,
      ).kind,
    ).toBe('ok');
  });
});

describe('chooseLease', () => {
  const v = (tick: string, state: 'running' | 'completed', unchangedForMs: number) => ({
    value: { kind: 'workspace' as const, run_id: null, owner: 'x', state, tick, heartbeat_at: ago(0) },
    revision: 7,
    unchangedForMs,
  });
  it('creates when absent; stands down for the same tick or a live execution; takes a finished or stale one', () => {
    expect(chooseLease(null, 'T1', 120_000)).toEqual({ kind: 'create' });
    expect(chooseLease(v('T1', 'completed', 1_000), 'T1', 120_000).kind).toBe('stand_down');
    expect(chooseLease(v('T0', 'running', 10_000), 'T1', 120_000).kind).toBe('stand_down');
    expect(chooseLease(v('T0', 'completed', 0), 'T1', 120_000)).toEqual({ kind: 'take', revision: 7 });
    expect(chooseLease(v('T0', 'running', 121_000), 'T1', 120_000)).toEqual({ kind: 'take', revision: 7 });
  });
  it("a running lease first seen now is never stale, whatever its heartbeat_at says (it is judged on this replica's clock)", () => {
    expect(chooseLease(v('T0', 'running', 0), 'T1', 120_000).kind).toBe('stand_down');
  });
  it('takes at once a running lease this process wrote and none of its executions holds (a write whose answer was lost)', () => {
    expect(chooseLease({ ...v('T0', 'running', 0), ownAbandoned: true }, 'T1', 120_000)).toEqual({ kind: 'take', revision: 7 });
    expect(chooseLease({ ...v('T0', 'running', 0), ownAbandoned: false }, 'T1', 120_000).kind).toBe('stand_down');
  });
  it('stands down on an unreadable lease instead of guessing it is over (the bucket TTL removes it)', () => {
    expect(chooseLease({ value: null, revision: 7, unchangedForMs: 10 * 120_000 }, 'T1', 120_000)).toEqual({
      kind: 'stand_down',
      runId: null,
    });
  });
});

describe('LeaseObservations', () => {
  it('counts how long a key stays at one revision on the given clock; a new revision starts over', () => {
    let clock = 0;
    const seen = new LeaseObservations(() => clock);
    expect(seen.unchangedFor('k', 5)).toBe(0);
    clock = 2_000;
    expect(seen.unchangedFor('k', 5)).toBe(2_000);
    expect(seen.unchangedFor('k', 6)).toBe(0);
    clock = 2_500;
    expect(seen.unchangedFor('k', 6)).toBe(500);
    seen.forget('k');
    expect(seen.unchangedFor('k', 6)).toBe(0);
  });

  it('keeps a bounded memory: the oldest keys go first', () => {
    let clock = 0;
    const seen = new LeaseObservations(() => clock, 2);
    seen.unchangedFor('a', 1);
    seen.unchangedFor('b', 1);
    seen.unchangedFor('c', 1);
    clock = 1_000;
    expect(seen.unchangedFor('a', 1)).toBe(0); // forgotten: first sight again
    expect(seen.unchangedFor('c', 1)).toBe(1_000);
  });
});
