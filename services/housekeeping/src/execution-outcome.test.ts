import { LEDGER_EVENT_SCHEMAS } from '@ops/contracts';
import { describe, expect, it } from 'vitest';
import { executionOutcome } from './reconcile.ts';

const runCompletedV1 = LEDGER_EVENT_SCHEMAS.completed;

/** every outcome an execution can end with is a completed event the ledger accepts (finding 12: one was not) */
const completed = (counts: { total: number; processed: number; failed: number }) => {
  const { outcome, failures } = executionOutcome(counts);
  return runCompletedV1.safeParse({
    v: 1,
    kind: 'completed',
    run_id: '00000000-0000-4000-8000-000000000001',
    workspace_id: '00000000-0000-4000-8000-000000000002',
    attempt: 1,
    seq: 1,
    at: '2026-12-07T19:19:48.521Z',
    owner: 'hk:1',
    outcome,
    counts,
    failures,
  });
};

describe('executionOutcome', () => {
  it('no failed heal: succeeded; some: partially_succeeded; all: failed — each named under the stable code, each accepted', () => {
    expect(executionOutcome({ total: 4, processed: 1, failed: 0 })).toEqual({ outcome: 'succeeded', failures: [] });
    expect(executionOutcome({ total: 0, processed: 0, failed: 0 }).outcome).toBe('succeeded');
    const some = executionOutcome({ total: 25, processed: 3, failed: 2 });
    expect(some.outcome).toBe('partially_succeeded');
    expect(some.failures).toEqual([
      { code: 'ops.reconcile_adapter_runs.failed', count: 2, message: expect.stringContaining('2 of 25 stuck runs could not be healed') },
    ]);
    expect(executionOutcome({ total: 25, processed: 0, failed: 25 }).outcome).toBe('failed');
    for (const counts of [
      { total: 4, processed: 1, failed: 0 },
      { total: 25, processed: 3, failed: 2 },
      { total: 25, processed: 0, failed: 25 },
    ]) {
      expect(completed(counts).success, JSON.stringify(counts)).toBe(true);
    }
    // what the execution published before the fix, and the ledger dead-lettered
    const before = runCompletedV1.safeParse({
      ...completed({ total: 25, processed: 0, failed: 25 }).data,
      outcome: 'succeeded',
      failures: [],
    });
    expect(before.success).toBe(false);
  });
});
