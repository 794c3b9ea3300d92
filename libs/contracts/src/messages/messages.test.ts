import { describe, expect, it } from 'vitest';
import { CATALOG, isRunType, RUN_TYPES, SUMMARY_KEYS } from '../catalog.ts';
import { ensureRunRequestV1 } from './ensure-run.v1.ts';
import { ledgerEventV1 } from './ledger-event.v1.ts';
import { listRunsRequestV1 } from './list-runs.v1.ts';
import { runCompletedV1 } from './run-completed.v1.ts';
import { runProgressV1 } from './run-progress.v1.ts';
import { runStartedV1 } from './run-started.v1.ts';

const WORKSPACE = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const RUN = 'c56a4180-65aa-42ec-a945-5fd21dec0538';
const base = { v: 1, run_id: RUN, workspace_id: WORKSPACE, attempt: 1, at: '2025-03-01T10:00:00.000Z' } as const;
const notFound = { code: 'graph.not_found', message: 'policy is gone', count: 1 };

function completed(overrides: Record<string, unknown> = {}) {
  return {
    ...base,
    kind: 'completed',
    seq: 3,
    outcome: 'partially_succeeded',
    counts: { total: 10, processed: 9, failed: 1 },
    failures: [notFound],
    ...overrides,
  };
}

describe('runCompletedV1', () => {
  it('accepts a consistent partially succeeded event', () => {
    expect(runCompletedV1.safeParse(completed()).success).toBe(true);
  });

  it('accepts a succeeded event without failures and defaults failures to []', () => {
    const parsed = runCompletedV1.parse(
      completed({ outcome: 'succeeded', counts: { total: 2, processed: 2, failed: 0 }, failures: undefined }),
    );
    expect(parsed.failures).toEqual([]);
  });

  it('defaults a failure entry count to 1', () => {
    const parsed = runCompletedV1.parse(completed({ failures: [{ code: 'graph.throttled', message: 'throttled' }] }));
    expect(parsed.failures[0]?.count).toBe(1);
  });

  it('accepts a cancelled event without failures', () => {
    expect(runCompletedV1.safeParse(completed({ outcome: 'cancelled', failures: [] })).success).toBe(true);
  });

  it('refuses a succeeded event that lists failures', () => {
    expect(runCompletedV1.safeParse(completed({ outcome: 'succeeded', counts: { total: 1, processed: 1, failed: 0 } })).success).toBe(
      false,
    );
  });

  it('refuses a succeeded event with failed counts', () => {
    expect(runCompletedV1.safeParse(completed({ outcome: 'succeeded', failures: [] })).success).toBe(false);
  });

  it('refuses failed and partially succeeded events without failures', () => {
    expect(runCompletedV1.safeParse(completed({ outcome: 'failed', failures: [] })).success).toBe(false);
    expect(runCompletedV1.safeParse(completed({ outcome: 'partially_succeeded', failures: [] })).success).toBe(false);
  });

  it('refuses counts where processed + failed exceeds total', () => {
    expect(runCompletedV1.safeParse(completed({ counts: { total: 5, processed: 5, failed: 1 } })).success).toBe(false);
  });

  it('refuses counts with a missing or extra key', () => {
    expect(runCompletedV1.safeParse(completed({ counts: { total: 5, processed: 4 } })).success).toBe(false);
    expect(runCompletedV1.safeParse(completed({ counts: { total: 5, processed: 4, failed: 1, skipped: 0 } })).success).toBe(false);
  });

  it('refuses negative and fractional counts', () => {
    expect(runCompletedV1.safeParse(completed({ counts: { total: 5, processed: -1, failed: 1 } })).success).toBe(false);
    expect(runCompletedV1.safeParse(completed({ counts: { total: 5, processed: 1.5, failed: 1 } })).success).toBe(false);
  });

  it('refuses an unregistered failure code', () => {
    expect(runCompletedV1.safeParse(completed({ failures: [{ ...notFound, code: 'graph.exploded' }] })).success).toBe(false);
  });

  it('refuses a failure message longer than 500 characters but accepts exactly 500', () => {
    expect(runCompletedV1.safeParse(completed({ failures: [{ ...notFound, message: 'x'.repeat(500) }] })).success).toBe(true);
    expect(runCompletedV1.safeParse(completed({ failures: [{ ...notFound, message: 'x'.repeat(501) }] })).success).toBe(false);
  });

  it('refuses an empty failure message and a zero count', () => {
    expect(runCompletedV1.safeParse(completed({ failures: [{ ...notFound, message: '' }] })).success).toBe(false);
    expect(runCompletedV1.safeParse(completed({ failures: [{ ...notFound, count: 0 }] })).success).toBe(false);
  });

  it('refuses more than 20 failure entries but accepts 20', () => {
    const entries = (n: number) => Array.from({ length: n }, () => notFound);
    expect(runCompletedV1.safeParse(completed({ failures: entries(20) })).success).toBe(true);
    expect(runCompletedV1.safeParse(completed({ failures: entries(21) })).success).toBe(false);
  });

  it('refuses an unknown outcome, a pending outcome and unknown keys', () => {
    expect(runCompletedV1.safeParse(completed({ outcome: 'pending' })).success).toBe(false);
    expect(runCompletedV1.safeParse(completed({ outcome: 'exploded' })).success).toBe(false);
    expect(runCompletedV1.safeParse(completed({ extra: true })).success).toBe(false);
  });
});

describe('runStartedV1 and runProgressV1', () => {
  it('accepts a started event with seq 0 and refuses any other seq', () => {
    expect(runStartedV1.safeParse({ ...base, kind: 'started', seq: 0 }).success).toBe(true);
    expect(runStartedV1.safeParse({ ...base, kind: 'started', seq: 1 }).success).toBe(false);
  });

  it('refuses attempt 0, a wrong version and a date without offset', () => {
    expect(runStartedV1.safeParse({ ...base, kind: 'started', seq: 0, attempt: 0 }).success).toBe(false);
    expect(runStartedV1.safeParse({ ...base, kind: 'started', seq: 0, v: 2 }).success).toBe(false);
    expect(runStartedV1.safeParse({ ...base, kind: 'started', seq: 0, at: '2025-03-01 10:00' }).success).toBe(false);
  });

  it('accepts a progress event and refuses one with inconsistent counts', () => {
    const progress = { ...base, kind: 'progress', seq: 1, counts: { total: 3, processed: 1, failed: 1 } };
    expect(runProgressV1.safeParse(progress).success).toBe(true);
    expect(runProgressV1.safeParse({ ...progress, counts: { total: 1, processed: 1, failed: 1 } }).success).toBe(false);
  });

  it('routes each kind through the ledger event union', () => {
    expect(ledgerEventV1.parse({ ...base, kind: 'started', seq: 0 }).kind).toBe('started');
    expect(ledgerEventV1.parse(completed()).kind).toBe('completed');
    expect(ledgerEventV1.safeParse({ ...base, kind: 'paused', seq: 1 }).success).toBe(false);
  });
});

describe('ensureRunRequestV1', () => {
  const request = { workspace_id: WORKSPACE, type: 'assignments.fetch', initiator: { name: 'opsctl' } };

  it('accepts a minimal request and fills the defaults', () => {
    expect(ensureRunRequestV1.parse(request)).toEqual({ ...request, tenant_id: null, inputs: {} });
  });

  it('refuses an unknown top-level key', () => {
    expect(ensureRunRequestV1.safeParse({ ...request, client_secret: 'x' }).success).toBe(false);
  });

  it('refuses an unknown initiator key, an empty initiator name and an unknown type', () => {
    expect(ensureRunRequestV1.safeParse({ ...request, initiator: { name: 'a', token: 'x' } }).success).toBe(false);
    expect(ensureRunRequestV1.safeParse({ ...request, initiator: { name: '' } }).success).toBe(false);
    expect(ensureRunRequestV1.safeParse({ ...request, type: 'assignments.delete' }).success).toBe(false);
  });

  it('refuses a malformed run id', () => {
    expect(ensureRunRequestV1.safeParse({ ...request, run_id: 'run-1' }).success).toBe(false);
    expect(ensureRunRequestV1.safeParse({ ...request, run_id: RUN }).success).toBe(true);
  });
});

describe('listRunsRequestV1', () => {
  it('defaults limit to 50', () => {
    expect(listRunsRequestV1.parse({ workspace_id: WORKSPACE }).limit).toBe(50);
  });

  it('accepts limits from 1 to 500 and refuses values outside or fractional', () => {
    const ok = (limit: unknown) => listRunsRequestV1.safeParse({ workspace_id: WORKSPACE, limit }).success;
    expect(ok(1)).toBe(true);
    expect(ok(500)).toBe(true);
    expect(ok(0)).toBe(false);
    expect(ok(501)).toBe(false);
    expect(ok(2.5)).toBe(false);
    expect(ok('10')).toBe(false);
  });

  it('refuses unknown keys and an unknown status', () => {
    expect(listRunsRequestV1.safeParse({ workspace_id: WORKSPACE, order: 'asc' }).success).toBe(false);
    expect(listRunsRequestV1.safeParse({ workspace_id: WORKSPACE, status: 'done' }).success).toBe(false);
  });
});

describe('catalog', () => {
  it('has exactly the three run types', () => {
    expect([...RUN_TYPES].sort()).toEqual(['assignments.fetch', 'assignments.restore', 'ops.reconcile_adapter_runs']);
    expect(isRunType('assignments.fetch')).toBe(true);
    expect(isRunType('toString')).toBe(false);
  });

  it('uses a 15-minute cooldown for assignments.* and none for the reconcile type', () => {
    expect(CATALOG['assignments.fetch'].cooldownSeconds).toBe(900);
    expect(CATALOG['assignments.restore'].cooldownSeconds).toBe(900);
    expect(CATALOG['ops.reconcile_adapter_runs'].cooldownSeconds).toBe(0);
  });

  it('uses the summary keys total, processed and failed for every type', () => {
    expect(SUMMARY_KEYS).toEqual(['total', 'processed', 'failed']);
    for (const type of RUN_TYPES) expect([...CATALOG[type].summaryKeys]).toEqual(['total', 'processed', 'failed']);
  });

  it('scopes assignments.* by tenant and the reconcile type by workspace', () => {
    expect(CATALOG['assignments.fetch'].scope).toBe('tenant');
    expect(CATALOG['assignments.restore'].scope).toBe('tenant');
    expect(CATALOG['ops.reconcile_adapter_runs'].scope).toBe('workspace');
  });
});
