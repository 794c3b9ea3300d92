import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { ensureTopology } from '@ops/nats';
import { useLedgerHarness } from '@ops/test-support';
import { describe, expect, it } from 'vitest';
import { dispatch, isJobPublishError } from '../src/dispatch.ts';

/**
 * A retried dispatch re-publishes (issue #15, scenario 5): ensure_run created
 * the run but the job never reached OPS_JOBS (the publish failed, or the
 * caller timed out). Retried, the dispatch used to answer `active` and publish
 * nothing — the job waited for housekeeping (minutes). Now the ledger says the
 * run is still queued and the caller publishes it again, same Nats-Msg-Id.
 */
const h = useLedgerHarness();

describe('dispatch() retried after its publish failed', () => {
  it('the retry publishes the still-queued run again: the job reaches OPS_JOBS, once', async () => {
    const js = jetstream(h.nc);
    const jsm = await jetstreamManager(h.nc);
    const request = {
      workspace_id: h.seed.workspace.id,
      tenant_id: h.seed.tenants[0]!.id,
      type: 'assignments.fetch' as const,
      inputs: { policy_ids: [] },
      initiator: { name: 'test' },
    };
    // OPS_JOBS is gone: ensure_run creates the run, its publish fails
    await jsm.streams.delete(h.names.streams.jobs);
    const first = await dispatch(h.client, js, h.names, request).catch((err: unknown) => err);
    expect(isJobPublishError(first)).toBe(true);
    const runId = (first as { run: { id: string } }).run.id;

    await ensureTopology(h.nc, h.names, { replicas: 1, locksTtlMs: 60_000 });
    const retried = await dispatch(h.client, js, h.names, request);
    expect(retried).toMatchObject({ disposition: 'active', published: true, run: { id: runId, status: 'queued' } });
    const info = await jsm.streams.info(h.names.streams.jobs, { subjects_filter: '>' });
    expect(info.state.messages).toBe(1);
    const job = await jsm.streams.getMessage(h.names.streams.jobs, { last_by_subj: h.names.jobSubject('assignments.fetch') });
    expect(job?.json<{ run_id: string }>().run_id).toBe(runId);

    // retried once more: JetStream drops the copy inside the duplicate window
    expect(await dispatch(h.client, js, h.names, request)).toMatchObject({ disposition: 'active', published: true });
    expect((await jsm.streams.info(h.names.streams.jobs)).state.messages).toBe(1);
  });
});
