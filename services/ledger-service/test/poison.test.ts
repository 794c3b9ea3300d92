import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { HEADERS, type LedgerEventV1, OpsError } from '@ops/contracts';
import { useLedgerHarness } from '@ops/test-support';
import { describe, expect, it } from 'vitest';

/**
 * One bad event never wedges the ledger (issue #16, scenario 1). A batch the
 * database refuses because of ONE event's data is applied again event by
 * event: that event is dead-lettered with a reason, the others are applied.
 * A batch refused for any other reason (connection, permission) dead-letters
 * nothing — it is retried whole. Text PostgreSQL cannot store (NUL, unpaired
 * surrogates) is refused at the edge.
 */
const h = useLedgerHarness({ LEDGER_BATCH_WAIT_MS: '300' }, { tenants: 2, policiesPerTenant: 1 });

async function newRun(tenant: number, initiator = 'test') {
  return (
    await h.client.ensureRun({
      workspace_id: h.seed.workspace.id,
      tenant_id: h.seed.tenants[tenant]!.id,
      type: tenant % 2 === 0 ? 'assignments.fetch' : 'assignments.restore',
      inputs: {},
      // a run id of its own: every run here is its own identity
      run_id: randomUUID(),
      initiator: { name: initiator },
    })
  ).run;
}
function completedEvent(run: { id: string; workspace_id: string }, total: number, message = 'gone'): LedgerEventV1 {
  return {
    v: 1,
    kind: 'completed',
    run_id: run.id,
    workspace_id: run.workspace_id,
    attempt: 1,
    seq: 1,
    at: new Date().toISOString(),
    outcome: 'partially_succeeded',
    counts: { total, processed: total - 1, failed: 1 },
    failures: [{ code: 'graph.not_found', message, count: 1 }],
  };
}
async function letters(): Promise<Array<{ reason: string | undefined; runId: string }>> {
  const jsm = await jetstreamManager(h.nc);
  const info = await jsm.streams.info(h.names.streams.dlq);
  const out = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq += 1) {
    const m = await jsm.streams.getMessage(h.names.streams.dlq, { seq }).catch(() => null);
    if (m) out.push({ reason: m.header?.get(HEADERS.dlqReason), runId: (m.json<{ run_id?: string }>().run_id ?? '') as string });
  }
  return out;
}
async function ledgerIdle(): Promise<void> {
  const jsm = await jetstreamManager(h.nc);
  await expect
    .poll(
      async () => {
        const c = await jsm.consumers.info(h.names.streams.ledger, h.names.consumers.ledgerEvents);
        return c.num_pending + c.num_ack_pending;
      },
      { timeout: 20_000 },
    )
    .toBe(0);
}

describe('a poison event in a batch', () => {
  it('data PostgreSQL refuses: that event alone is dead-lettered (database_refused), the rest of its batch applied', async () => {
    // a constraint of this test's own database that one event's data violates (class 23) while its schema is valid
    await h.sql(`ALTER TABLE operation_runs ADD CONSTRAINT poison_total CHECK (coalesce((summary_counts->>'total')::int, 0) <> 666)`);
    try {
      const poison = [await newRun(0), await newRun(1)];
      const innocent = await newRun(0, 'innocent');
      const js = jetstream(h.nc);
      // one batch (the ledger waits 300 ms to fill it): two poison events around an innocent one
      await js.publish(h.names.ledgerEventSubject('completed'), JSON.stringify(completedEvent(poison[0]!, 666)));
      await js.publish(h.names.ledgerEventSubject('completed'), JSON.stringify(completedEvent(innocent, 3)));
      await js.publish(h.names.ledgerEventSubject('completed'), JSON.stringify(completedEvent(poison[1]!, 666)));
      await ledgerIdle();
      expect(await h.client.getRun({ workspace_id: h.seed.workspace.id, run_id: innocent.id })).toMatchObject({
        status: 'completed',
        summary_counts: { total: 3, processed: 2, failed: 1 },
      });
      const dead = await letters();
      for (const run of poison) {
        expect(dead.filter((l) => l.runId === run.id)).toEqual([{ reason: 'database_refused', runId: run.id }]);
        expect((await h.client.getRun({ workspace_id: h.seed.workspace.id, run_id: run.id })).status).toBe('queued');
      }
    } finally {
      await h.sql('ALTER TABLE operation_runs DROP CONSTRAINT poison_total');
    }
  });

  it('text PostgreSQL cannot store (NUL, an unpaired surrogate) is refused at the edge: dead-lettered schema_invalid, never a stuck batch', async () => {
    const runs = [await newRun(1, 'a'), await newRun(1, 'b')];
    const js = jetstream(h.nc);
    await js.publish(h.names.ledgerEventSubject('completed'), JSON.stringify(completedEvent(runs[0]!, 2, 'nul \u0000 here')));
    await js.publish(h.names.ledgerEventSubject('completed'), JSON.stringify(completedEvent(runs[1]!, 2, 'lone \ud800 surrogate')));
    await ledgerIdle();
    const dead = await letters();
    for (const run of runs) expect(dead.filter((l) => l.runId === run.id).map((l) => l.reason)).toEqual(['schema_invalid']);
  });

  it('ensure_run with such text in the initiator name answers bad_request, not internal', async () => {
    for (const name of ['nul \u0000', 'lone \udc00']) {
      const err = await newRun(0, name).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpsError);
      expect((err as OpsError).code).toBe('bad_request');
      expect((err as OpsError).issues.join(' ')).toMatch(/initiator\.name/);
    }
  });

  it('a batch refused for another reason (the ledger lost its grant) dead-letters nothing and applies once the grant is back', async () => {
    const run = await newRun(1, 'stalled');
    const before = (await letters()).length;
    await h.sql('REVOKE UPDATE ON operation_runs FROM ops_ledger');
    await h.sql('GRANT UPDATE (dedupe_hits, updated_at) ON operation_runs TO ops_ledger');
    try {
      await jetstream(h.nc).publish(h.names.ledgerEventSubject('completed'), JSON.stringify(completedEvent(run, 2)));
      await new Promise((r) => setTimeout(r, 3_000));
      expect((await letters()).length).toBe(before);
      expect((await h.client.getRun({ workspace_id: h.seed.workspace.id, run_id: run.id })).status).toBe('queued');
    } finally {
      await h.sql('GRANT UPDATE ON operation_runs TO ops_ledger');
    }
    await ledgerIdle();
    expect((await h.client.getRun({ workspace_id: h.seed.workspace.id, run_id: run.id })).status).toBe('completed');
    expect((await letters()).length).toBe(before);
  });
});
