import { jetstreamManager } from '@nats-io/jetstream';
import { HEADERS } from '@ops/contracts';
import { ensureTopology } from '@ops/nats';
import { useLedgerHarness } from '@ops/test-support';
import { describe, expect, it } from 'vitest';
import { dispatch, isJobPublishError } from '../src/dispatch.ts';

/**
 * Dispatch is one request (issue #18): the ledger publishes the job of the
 * run it created, and answers once JetStream stored it. When it could not
 * store it (JetStream down), the run exists, queued, and the caller is told
 * (JobPublishError); a retried dispatch makes the ledger publish it then —
 * once: a further retry finds it stored and publishes nothing (issue #15's
 * scenario, now without the caller publishing anything).
 */
const h = useLedgerHarness();

describe('dispatch()', () => {
  it("the ledger stores the created run's job, generation 1, before it answers", async () => {
    const jsm = await jetstreamManager(h.nc);
    const result = await dispatch(h.client, {
      workspace_id: h.seed.workspace.id,
      tenant_id: h.seed.tenants[1]!.id,
      type: 'assignments.fetch',
      inputs: { policy_ids: [] },
      initiator: { name: 'test' },
    });
    expect(result).toMatchObject({ disposition: 'created', published: true });
    const job = await jsm.streams.getMessage(h.names.streams.jobs, { last_by_subj: h.names.jobSubject('assignments.fetch') });
    expect(job?.json<{ run_id: string }>().run_id).toBe(result.run.id);
    expect(job?.header.get(HEADERS.jobGeneration)).toBe('1');
    expect(job?.header.get(HEADERS.msgId)).toBe(result.run.id);
  });

  it('a job the ledger could not store is stored on the retried dispatch, once', async () => {
    const jsm = await jetstreamManager(h.nc);
    const request = {
      workspace_id: h.seed.workspace.id,
      tenant_id: h.seed.tenants[0]!.id,
      type: 'assignments.fetch' as const,
      inputs: { policy_ids: [] },
      initiator: { name: 'test' },
    };
    // OPS_JOBS is gone: the ledger creates the run, its publish fails
    await jsm.streams.delete(h.names.streams.jobs);
    const first = await dispatch(h.client, request).catch((err: unknown) => err);
    expect(isJobPublishError(first)).toBe(true);
    const runId = (first as { run: { id: string } }).run.id;

    await ensureTopology(h.nc, h.names, { replicas: 1, locksTtlMs: 60_000 });
    const retried = await dispatch(h.client, request);
    expect(retried).toMatchObject({ disposition: 'active', published: true, run: { id: runId, status: 'queued' } });
    expect((await jsm.streams.info(h.names.streams.jobs)).state.messages).toBe(1);
    const job = await jsm.streams.getMessage(h.names.streams.jobs, { last_by_subj: h.names.jobSubject('assignments.fetch') });
    expect(job?.json<{ run_id: string }>().run_id).toBe(runId);

    // retried once more: the job is stored, nothing is published
    expect(await dispatch(h.client, request)).toMatchObject({ disposition: 'active', published: false });
    expect((await jsm.streams.info(h.names.streams.jobs)).state.messages).toBe(1);
  });
});
