import { sleep, startService, useHousekeepingStack } from '@ops/test-support';
import { describe, expect, it } from 'vitest';

/**
 * T033 overlap prevention: two housekeeping PROCESSES whose schedules fire
 * at the same instants (every second) → exactly one execution per workspace
 * and tick; the other replica stands down.
 */
const h = useHousekeepingStack({ tenants: 1, policiesPerTenant: 1 });

interface Line {
  msg: string;
  tick?: string;
  workspaceId?: string;
  runId?: string;
}

describe('two housekeeping replicas', () => {
  it('execute each scheduled tick exactly once per workspace', async () => {
    const env = h.housekeepingEnv({ HOUSEKEEPING_CRON: '* * * * * *' });
    const replicas = [startService('services/housekeeping/src/main.ts', env), startService('services/housekeeping/src/main.ts', env)];
    try {
      for (const r of replicas) await r.waitForOutput(/housekeeping ready/);
      await sleep(4_500);
    } finally {
      for (const r of replicas) expect(await r.stop('SIGTERM')).toBe(0);
    }
    const lines: Line[] = replicas.flatMap((r) =>
      r
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Line),
    );
    const executed = lines.filter((l) => l.msg === 'reconcile executed' && l.workspaceId === h.seed.workspace.id);
    const stoodDown = lines.filter((l) => l.msg.startsWith('reconcile skipped') && l.workspaceId === h.seed.workspace.id);
    expect(executed.length).toBeGreaterThanOrEqual(2);
    expect(stoodDown.length).toBeGreaterThanOrEqual(1);
    const perTick = new Map<string, number>();
    for (const e of executed) perTick.set(e.tick!, (perTick.get(e.tick!) ?? 0) + 1);
    expect([...perTick.values()].every((n) => n === 1)).toBe(true);
    // and the ledger agrees: one run per execution, none overlapping another
    const runs = (await h.client.listRuns({ workspace_id: h.seed.workspace.id, type: 'ops.reconcile_adapter_runs', limit: 500 })).runs;
    expect(runs.length).toBe(executed.length);
    const spans = runs.map((r) => [Date.parse(r.started_at!), Date.parse(r.completed_at!)] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i += 1) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
  });
});
