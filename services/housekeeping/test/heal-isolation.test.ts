import { jetstreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { leaseKey } from '@ops/contracts';
import { insertBacklog, useHousekeepingStack } from '@ops/test-support';
import { describe, expect, it } from 'vitest';

/**
 * One run's trouble is that run's (issue #16, scenario 4): a KV error reading
 * one run's lease counts that run failed and the execution goes on with the
 * others — before, it failed the whole workspace's reconcile and healed
 * nothing after it. The execution then ends partially_succeeded, naming the
 * failed heal (docs/reliability.md, finding 12).
 */
const h = useHousekeepingStack({ tenants: 1, policiesPerTenant: 1 });

/** the bucket, except that reading `badKey` fails as a KV outage would */
function kvFailingOn(kv: KV, badKey: string): KV {
  return new Proxy(kv, {
    get(target, prop, receiver) {
      if (prop === 'get') {
        return async (key: string, ...rest: unknown[]) => {
          if (key === badKey) throw new Error('kv get timed out (injected)');
          return (target.get as (k: string, ...r: unknown[]) => unknown)(key, ...rest);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('healing, one run at a time', () => {
  it("a KV error on one run's lease fails that run only: the other stuck runs are healed in the same execution", async () => {
    const backlog = await insertBacklog(h, {
      queued: 0,
      running: 3,
      policiesPerRun: 1,
      quietForSeconds: 3600,
    });
    // the first run listed (the longest quiet) is the one whose lease cannot be read
    const [first] = await h.sql<{ run_identity_hash: string }>('SELECT run_identity_hash FROM operation_runs WHERE id = $1', [
      backlog.running[0],
    ]);
    const hk = await h.startHousekeeping();
    const { reconcileWorkspace } = await import('../src/reconcile.ts');
    const deps = { ...hk.deps, kv: kvFailingOn(hk.deps.kv, leaseKey('assignments.fetch', first!.run_identity_hash)) };

    const result = await reconcileWorkspace(deps, h.seed.workspace.id, 'kv-error');
    expect(result).toMatchObject({ disposition: 'created', outcome: 'partially_succeeded', counts: { total: 3, processed: 2, failed: 1 } });
    // the execution's own run says so in the ledger: before, it published `succeeded` with a failed
    // heal, the ledger refused that event (schema_invalid), it was dead-lettered and the run never ended
    const own = await h.waitCompleted((result as { runId: string }).runId);
    expect(own).toMatchObject({
      outcome: 'partially_succeeded',
      summary_counts: { total: 3, processed: 2, failed: 1 },
      failure_summary: [{ code: 'ops.reconcile_adapter_runs.failed', count: 1 }],
    });
    expect(own.failure_summary[0]!.message).toContain('1 of 3 stuck runs could not be healed');
    expect((await (await jetstreamManager(h.nc)).streams.info(h.names.streams.dlq)).state.messages).toBe(0);
    for (const id of backlog.running.slice(1)) {
      expect(await h.waitCompleted(id)).toMatchObject({ outcome: 'failed', failure_summary: [{ code: 'run.stale' }] });
    }
    // the run whose lease could not be read is left for the next execution
    expect(await h.getRun(backlog.running[0]!)).toMatchObject({ status: 'running' });
    await hk.stopIntake();
  });
});
