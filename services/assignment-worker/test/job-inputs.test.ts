import { jetstreamManager } from '@nats-io/jetstream';
import { HEADERS, jobFor } from '@ops/contracts';
import { insertRun, useWorkerStack } from '@ops/test-support';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * A job's inputs are read through its type's catalog schema (the one
 * fingerprint whitelist, FR-004b). Inputs the schema refuses make the job bad
 * input: dead-lettered `schema_invalid`, never executed — before, a
 * `policy_ids` that was not a list meant "every policy of the tenant".
 */
const h = useWorkerStack({ tenants: 1, policiesPerTenant: 3 });
beforeAll(async () => {
  await h.startWorker();
});

describe('job inputs through the catalog', () => {
  it('a job of a real run whose inputs its type refuses is dead-lettered schema_invalid and never executed', async () => {
    // a real queued run whose own job was never stored
    const run = await insertRun(h);
    const jsm = await jetstreamManager(h.nc);
    const letters = async () => (await jsm.streams.info(h.names.streams.dlq)).state.messages;
    const before = await letters();
    const callsBefore = h.graph.probe().total_calls;

    const malformed = [{ policy_ids: 'every' }, { policy_ids: ['not-a-uuid'] }, { policy_ids: [], tenant_secret: 'x' }];
    for (const [i, inputs] of malformed.entries()) {
      const job = { ...jobFor(run), inputs };
      await h.js.publish(h.names.jobSubject('assignments.fetch'), JSON.stringify(job), { msgID: `malformed-inputs-${i}` });
    }
    await expect.poll(letters, { timeout: 15_000 }).toBe(before + malformed.length);
    const info = await jsm.streams.info(h.names.streams.dlq);
    for (let seq = info.state.last_seq - malformed.length + 1; seq <= info.state.last_seq; seq += 1) {
      const letter = await jsm.streams.getMessage(h.names.streams.dlq, { seq });
      expect(letter!.subject).toBe(h.names.dlqSubject('assignment-worker'));
      expect(letter!.header.get(HEADERS.dlqReason)).toBe('schema_invalid');
      expect(letter!.header.get(HEADERS.dlqDetail)).toMatch(/^inputs/);
    }
    // nothing executed: no Graph call, the run is still queued at attempt 0
    expect(h.graph.probe().total_calls).toBe(callsBefore);
    expect(await h.getRun(run.id)).toMatchObject({ status: 'queued', attempt: 0 });
  });

  it("the run's recorded inputs execute, not the job's copy: a job naming other policies of the tenant still does one (issue #16)", async () => {
    const tenant = h.seed.tenants[0]!;
    const policies = (await h.sql<{ id: string }>('SELECT id FROM policies WHERE tenant_id = $1 ORDER BY id', [tenant.id])).map(
      (p) => p.id,
    );
    expect(policies).toHaveLength(3);
    const run = await insertRun(h, { policyIds: [policies[0]!] });
    // a job of this run (its id, its identity hash) whose inputs were widened to every policy
    const job = { ...jobFor(run), inputs: { policy_ids: policies } };
    await h.js.publish(h.names.jobSubject('assignments.fetch'), JSON.stringify(job), { msgID: run.id });
    const done = await h.waitCompleted(run.id);
    expect(done).toMatchObject({ outcome: 'succeeded', summary_counts: { total: 1, processed: 1, failed: 0 } });
    const fetched = await h.sql<{ policy_id: string }>('SELECT policy_id FROM assignment_snapshots WHERE run_id = $1', [run.id]);
    expect(fetched.map((r) => r.policy_id)).toEqual([policies[0]]);
  });
});
