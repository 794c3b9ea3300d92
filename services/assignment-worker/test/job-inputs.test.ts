import { jetstreamManager } from '@nats-io/jetstream';
import { HEADERS } from '@ops/contracts';
import { useWorkerStack } from '@ops/test-support';
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
    // a real queued run (ensure_run only: its own job is never published)
    const created = await h.client.ensureRun({
      workspace_id: h.seed.workspace.id,
      tenant_id: h.seed.tenants[0]!.id,
      type: 'assignments.fetch',
      inputs: { policy_ids: [] },
      initiator: { name: 'test' },
    });
    expect(created.disposition).toBe('created');
    const run = created.run;
    const jsm = await jetstreamManager(h.nc);
    const letters = async () => (await jsm.streams.info(h.names.streams.dlq)).state.messages;
    const before = await letters();
    const callsBefore = h.graph.probe().total_calls;

    const malformed = [{ policy_ids: 'every' }, { policy_ids: ['not-a-uuid'] }, { policy_ids: [], tenant_secret: 'x' }];
    for (const [i, inputs] of malformed.entries()) {
      const job = {
        v: 1,
        run_id: run.id,
        workspace_id: run.workspace_id,
        tenant_id: run.tenant_id,
        type: run.type,
        run_identity_hash: run.run_identity_hash,
        inputs,
        dispatched_at: new Date().toISOString(),
      };
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
});
