import type { RunV1 } from '@ops/contracts';
import { cliEnv, opsctl, opsctlJson, useWorkerStack } from '@ops/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DemoJson, DemoStep } from '../src/commands/demo.ts';
import type { TenantsListJson } from '../src/commands/tenants-list.ts';
import { TIMEOUT } from './support.ts';

/** The tour against a whole system: ledger, fake Graph and a worker (as `pnpm start` runs them). */
const h = useWorkerStack({ tenants: 2, policiesPerTenant: 3 });
let env: Record<string, string>;
let first: DemoJson;

beforeAll(async () => {
  env = cliEnv(h);
  await h.startWorker();
});

const ids = () => ['--workspace', h.seed.workspace.id, '--tenant', h.seed.tenants[0]!.id];
const step = <S extends DemoStep['step']>(doc: DemoJson, name: S) => doc.steps.find((s) => s.step === name) as DemoStep & { step: S };

function expectFinished(runs: RunV1[]): void {
  expect(runs.map((r) => r.type)).toEqual(['assignments.fetch', 'assignments.restore']);
  for (const run of runs) {
    expect(run).toMatchObject({
      status: 'completed',
      outcome: 'succeeded',
      tenant_id: h.seed.tenants[0]!.id,
      summary_counts: { total: 3, processed: 3, failed: 0 },
    });
  }
}

describe('opsctl demo', () => {
  it('--json: fetch created, the same fetch again answered with the same run, restore created, both completed with counters', async () => {
    first = await opsctlJson<DemoJson>(['demo', ...ids(), '--timeout', '45'], env);
    expect(Object.keys(first)).toEqual(['steps', 'runs']);
    expect(first.steps.map((s) => s.step)).toEqual([
      'target',
      'dispatch_fetch',
      'dispatch_fetch_again',
      'wait_fetch',
      'dispatch_restore',
      'wait_restore',
    ]);
    for (const s of first.steps) expect(s.note).toEqual(expect.any(String));
    expect(step(first, 'target')).toMatchObject({ workspace_id: h.seed.workspace.id, tenant_id: h.seed.tenants[0]!.id, picked: false });

    const fetch = step(first, 'dispatch_fetch');
    expect(fetch).toMatchObject({ type: 'assignments.fetch', disposition: 'created', published: true });
    const again = step(first, 'dispatch_fetch_again');
    // active while the worker runs it; cooldown if it finished within the moment between the two
    expect(['active', 'cooldown']).toContain(again.disposition);
    expect(again).toMatchObject({ run_id: fetch.run_id, run_identity_hash: fetch.run_identity_hash });
    // still queued when the second dispatch came: its job published again — JetStream drops the copy
    if (again.published) expect(again.disposition).toBe('active');
    expect(step(first, 'dispatch_restore')).toMatchObject({ type: 'assignments.restore', disposition: 'created', published: true });
    expect(step(first, 'wait_restore')).toMatchObject({ status: 'completed', outcome: 'succeeded' });

    expectFinished(first.runs);
    expect(first.runs.map((r) => r.id)).toEqual([fetch.run_id, step(first, 'dispatch_restore').run_id]);
    // the repeated dispatch is counted on the run it was answered with
    expect(first.runs[0]!.dedupe_hits).toBe(1);
    expect(first.runs[0]!.initiator_name).toBe('opsctl demo');
  }, 60_000);

  it(
    'again within the cooldown: both dispatches answer cooldown with the earlier runs, and the tour still completes',
    async () => {
      const doc = await opsctlJson<DemoJson>(['demo', ...ids()], env);
      for (const name of ['dispatch_fetch', 'dispatch_fetch_again', 'dispatch_restore'] as const) {
        expect(step(doc, name)).toMatchObject({ disposition: 'cooldown', published: false });
      }
      expect(doc.runs.map((r) => r.id)).toEqual(first.runs.map((r) => r.id));
      expectFinished(doc.runs);
    },
    TIMEOUT,
  );

  it(
    'the human form explains every step and ends with the ledger table',
    async () => {
      const r = await opsctl(['demo', ...ids()], env);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const [fetchRun, restoreRun] = first.runs;
      expect(r.stdout).toMatch(/^tour of workspace \S+, tenant \S+\n\n1\. dispatch assignments\.fetch: /);
      expect(r.stdout).toContain(`cooldown: run ${fetchRun!.id} completed at`);
      expect(r.stdout).toMatch(/completed less than 15 minutes ago \(a previous tour\?\)/);
      expect(r.stdout).toContain(`same run ${fetchRun!.id}: deduplicated by the ledger`);
      expect(r.stdout).toContain(`run ${restoreRun!.id} completed: succeeded, processed 3/3 (failed 0)`);
      const table = r.stdout.slice(r.stdout.indexOf('the ledger — opsctl runs list'));
      expect(table.split('\n')[1]!.split(/\s+/)).toEqual([
        'ID',
        'TYPE',
        'TENANT',
        'STATUS',
        'OUTCOME',
        'COUNTERS',
        'ATTEMPT',
        'DEDUPE_HITS',
        'CREATED_AT',
      ]);
      expect(table).toMatch(new RegExp(`^${restoreRun!.id} +assignments\\.restore +\\S+ +completed +succeeded +3/3 \\(failed 0\\) `, 'm'));
      expect(table).toMatch(
        new RegExp(`^${fetchRun!.id} +assignments\\.fetch +\\S+ +completed +succeeded +3/3 \\(failed 0\\) +1 +\\d+ `, 'm'),
      );
    },
    TIMEOUT,
  );

  it('without --workspace/--tenant it takes the first tenant `tenants list` shows, and says so', async () => {
    const tenants = await opsctlJson<TenantsListJson>(['tenants', 'list'], env);
    const workspace = tenants.workspaces.find((w) => w.tenants.length > 0)!;
    const r = await opsctl(['demo', '--timeout', '45'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(
      `tour of workspace ${workspace.name} (${workspace.id}), tenant ${workspace.tenants[0]!.name} (${workspace.tenants[0]!.id}) — picked from the database (choose with --workspace/--tenant)`,
    );
  }, 60_000);

  it(
    'a tenant that is not in the database → exit 1 saying what to do; bad ids → exit 2',
    async () => {
      const r = await opsctl(['demo', '--tenant', '7c1e4a52-8f0e-4c1d-9a53-6f1d2f1c0a99', '--json'], env);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        'opsctl: no tenant 7c1e4a52-8f0e-4c1d-9a53-6f1d2f1c0a99 in the database — run `pnpm seed`, or pick ids from `opsctl tenants list`\n',
      );
      for (const args of [
        ['--tenant', 'nope'],
        ['--workspace', '12'],
        ['--timeout', '0'],
      ]) {
        const bad = await opsctl(['demo', ...args, '--json'], env);
        expect(bad.code).toBe(2);
        expect(bad.stdout).toBe('');
      }
    },
    TIMEOUT,
  );
});
