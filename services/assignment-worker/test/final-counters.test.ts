import { useWorkerStack } from '@ops/test-support';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * Counters on the last attempt (issue #15, scenario 3): an attempt that fails
 * as a whole before its selection is resolved used to report {0,0,1} — more
 * failures than items — which the ledger dead-letters as schema_invalid
 * while the worker acks the job: the run then sat `running` until
 * housekeeping mislabelled it `run.stale`, its real failure code lost. Each
 * item counts once; the attempt's failure is named in the failure summary.
 */
const h = useWorkerStack({ tenants: 1, policiesPerTenant: 2 });
beforeAll(async () => {
  await h.startWorker({ WORKER_MAX_DELIVER: '1' });
});

describe('the final attempt fails before its selection is resolved', () => {
  it('the run ends failed with {0,0,0} and the real failure code — not dead-lettered, not left running', async () => {
    // the worker's database role may not read the policies: resolving the selection fails
    await h.sql('REVOKE SELECT ON policies FROM ops_worker');
    try {
      const { run } = await h.dispatch('assignments.fetch', 0);
      const done = await h.waitCompleted(run.id, 20_000);
      expect(done).toMatchObject({
        outcome: 'failed',
        summary_counts: { total: 0, processed: 0, failed: 0 },
        failure_summary: [expect.objectContaining({ code: 'run.internal', count: 1 })],
      });
      // nothing of the run was dead-lettered
      expect((await h.ledgerMessages()).filter((m) => m.includes(h.names.dlqSubject('ledger')) && m.includes(run.id))).toEqual([]);
    } finally {
      await h.sql('GRANT SELECT ON policies TO ops_worker');
    }
  });
});
