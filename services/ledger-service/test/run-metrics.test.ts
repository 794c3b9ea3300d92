import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { type LedgerEventV1, type RunV1, runEventMsgId } from '@ops/contracts';
import { consumerDrained, useLedgerHarness } from '@ops/test-support';
import { describe, expect, it } from 'vitest';

/**
 * The run metrics the ledger observes where it applies events
 * (src/run-metrics.ts): queue wait, duration, completions by outcome and
 * failure code — once per change of a run, never for a duplicate, no wait or
 * duration for a heal.
 */
const h = useLedgerHarness();
const TYPE = 'assignments.fetch';

async function newRun(): Promise<RunV1> {
  const reply = await h.client.ensureRun({
    workspace_id: h.seed.workspace.id,
    tenant_id: h.seed.tenants[0]!.id,
    type: TYPE,
    run_id: randomUUID(),
    initiator: { name: 'test' },
  });
  expect(reply.disposition).toBe('created');
  return reply.run;
}

async function publish(events: readonly LedgerEventV1[], msgSuffix = ''): Promise<void> {
  const js = jetstream(h.nc);
  for (const e of events) await js.publish(h.names.ledgerEventSubject(e.kind), JSON.stringify(e), { msgID: runEventMsgId(e) + msgSuffix });
  await consumerDrained(h.nc, h.names.streams.ledger, h.names.consumers.ledgerEvents);
}

/** a series' value in the service's registry (histograms: `<name>_count`, `<name>_sum`), 0 when absent */
async function value(metric: string, series: string, labels: Record<string, string>): Promise<number> {
  const found = await h.service.registry.getSingleMetric(metric)?.get();
  const match = found?.values.find(
    (v) => ((v as { metricName?: string }).metricName ?? metric) === series && Object.entries(labels).every(([k, l]) => v.labels[k] === l),
  );
  return match?.value ?? 0;
}

const snapshot = async () => ({
  waits: await value('ops_ledger_run_queue_wait_seconds', 'ops_ledger_run_queue_wait_seconds_count', { type: TYPE }),
  waitSum: await value('ops_ledger_run_queue_wait_seconds', 'ops_ledger_run_queue_wait_seconds_sum', { type: TYPE }),
  durations: await value('ops_ledger_run_duration_seconds', 'ops_ledger_run_duration_seconds_count', { type: TYPE }),
  durationSum: await value('ops_ledger_run_duration_seconds', 'ops_ledger_run_duration_seconds_sum', { type: TYPE }),
  partial: await value('ops_ledger_runs_completed_total', 'ops_ledger_runs_completed_total', {
    type: TYPE,
    outcome: 'partially_succeeded',
  }),
  failed: await value('ops_ledger_runs_completed_total', 'ops_ledger_runs_completed_total', { type: TYPE, outcome: 'failed' }),
  notFound: await value('ops_ledger_run_failures_total', 'ops_ledger_run_failures_total', { type: TYPE, code: 'graph.not_found' }),
  lost: await value('ops_ledger_run_failures_total', 'ops_ledger_run_failures_total', { type: TYPE, code: 'run.lost' }),
});

describe('run metrics observed where events are applied', () => {
  it('started then completed: one queue wait, one duration, the outcome and each failure code once; a duplicate adds nothing', async () => {
    const run = await newRun();
    const before = await snapshot();
    const created = Date.parse(run.created_at);
    const base = { v: 1 as const, run_id: run.id, workspace_id: run.workspace_id, attempt: 1 };
    const completed: LedgerEventV1 = {
      ...base,
      kind: 'completed',
      seq: 2,
      at: new Date(created + 5_000).toISOString(),
      outcome: 'partially_succeeded',
      counts: { total: 3, processed: 2, failed: 1 },
      failures: [{ code: 'graph.not_found', message: 'policy gone', count: 1 }],
    };
    // the ledger clamps event times to its clock: move it past them
    h.clock.set(new Date(created + 60_000));
    await publish([
      { ...base, kind: 'started', seq: 0, at: new Date(created + 2_000).toISOString() },
      { ...base, kind: 'progress', seq: 1, at: new Date(created + 3_000).toISOString(), counts: { total: 3, processed: 1, failed: 0 } },
      completed,
    ]);
    const after = await snapshot();
    expect(after.waits - before.waits).toBe(1);
    expect(after.waitSum - before.waitSum).toBeCloseTo(2, 3);
    expect(after.durations - before.durations).toBe(1);
    expect(after.durationSum - before.durationSum).toBeCloseTo(3, 3);
    expect(after.partial - before.partial).toBe(1);
    expect(after.notFound - before.notFound).toBe(1);

    // JetStream takes it again under another msg id: the ledger ignores it (duplicate), no metric moves
    await publish([completed], '.again');
    expect(await snapshot()).toEqual(after);
  });

  it('a heal counts its outcome and failure code, but no queue wait or duration', async () => {
    const run = await newRun();
    const before = await snapshot();
    await publish([
      {
        v: 1,
        kind: 'completed',
        run_id: run.id,
        workspace_id: run.workspace_id,
        attempt: 1,
        seq: 0,
        at: h.clock.now().toISOString(),
        outcome: 'failed',
        counts: { total: 0, processed: 0, failed: 0 },
        failures: [{ code: 'run.lost', message: 'lost', count: 1 }],
        heal: true,
      },
    ]);
    const after = await snapshot();
    expect(after.failed - before.failed).toBe(1);
    expect(after.lost - before.lost).toBe(1);
    expect(after.waits).toBe(before.waits);
    expect(after.durations).toBe(before.durations);
  });
});
