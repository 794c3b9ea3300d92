import { cliEnv, opsctl, opsctlJson, useHousekeepingStack } from '@ops/test-support';
import { describe, expect, it } from 'vitest';

/** Issue #4's acceptance as a test: `opsctl housekeeping run`, then `runs list --type ops.reconcile_adapter_runs`. */
const h = useHousekeepingStack({ tenants: 1, policiesPerTenant: 1 });

describe('opsctl housekeeping run', () => {
  it('refuses bad arguments and says when no housekeeping service runs', async () => {
    expect((await opsctl(['housekeeping', 'run'], cliEnv(h))).code).toBe(2);
    expect((await opsctl(['housekeeping', 'run', '--workspace', 'nope'], cliEnv(h))).code).toBe(2);
    const none = await opsctl(['housekeeping', 'run', '--workspace', h.seed.workspace.id], cliEnv(h));
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('housekeeping service is not running');
  });

  it('runs the reconcile and the run is listed with its outcome and counters', async () => {
    await h.startHousekeeping();
    const ws = h.seed.workspace.id;
    const reply = await opsctlJson<{ run_id: string; disposition: string }>(['housekeeping', 'run', '--workspace', ws], cliEnv(h));
    expect(reply.disposition).toBe('created');
    const list = await opsctlJson<{ runs: Array<Record<string, unknown>> }>(
      ['runs', 'list', '--workspace', ws, '--type', 'ops.reconcile_adapter_runs'],
      cliEnv(h),
    );
    expect(list.runs[0]).toMatchObject({
      id: reply.run_id,
      tenant_id: null,
      status: 'completed',
      outcome: 'succeeded',
      summary_counts: { total: expect.any(Number), processed: expect.any(Number), failed: expect.any(Number) },
    });
  });
});
