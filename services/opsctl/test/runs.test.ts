import { type RunV1, runV1 } from '@ops/contracts';
import { cliEnv, opsctl, opsctlJson, sleep, useLedgerHarness } from '@ops/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunsListJson } from '../src/commands/runs-list.ts';
import { natsRelay, publishEvents, TIMEOUT, until } from './support.ts';

const h = useLedgerHarness();
let env: Record<string, string>;
/** runs made through the ledger client: [queued (tenant 0, fetch), running with progress (tenant 1, restore)] */
let queued: RunV1;
let running: RunV1;

const RUN_FIELDS = [
  'id',
  'workspace_id',
  'tenant_id',
  'type',
  'status',
  'outcome',
  'run_identity_hash',
  'summary_counts',
  'failure_summary',
  'context',
  'attempt',
  'dedupe_hits',
  'initiator_name',
  'started_at',
  'completed_at',
  'created_at',
  'updated_at',
].sort();
const workspace = () => h.seed.workspace.id;

async function ensure(tenantIndex: number, type: 'assignments.fetch' | 'assignments.restore'): Promise<RunV1> {
  // the ledger's clock is frozen: step it so "newest first" has an order to show
  h.clock.advance(1_000);
  const reply = await h.client.ensureRun({
    workspace_id: workspace(),
    tenant_id: h.seed.tenants[tenantIndex]!.id,
    type,
    initiator: { name: 'test' },
  });
  return reply.run;
}

beforeAll(async () => {
  env = cliEnv(h);
  queued = await ensure(0, 'assignments.fetch');
  running = await ensure(1, 'assignments.restore');
  await publishEvents(h.nc, h.names, running, { progress: { total: 5, processed: 2, failed: 1 } });
  await until(async () => (await h.client.getRun({ workspace_id: workspace(), run_id: running.id })).summary_counts['total'] === 5);
});

describe('opsctl runs show', () => {
  it(
    '--json prints the run object with every documented field',
    async () => {
      const run = await opsctlJson<RunV1>(['runs', 'show', queued.id, '--workspace', workspace()], env);
      // the run object plus its timeline and its operator actions (run-timeline.test.ts)
      expect(Object.keys(run).sort()).toEqual([...RUN_FIELDS, 'actions', 'timeline'].sort());
      expect(runV1.parse(run)).toMatchObject({ id: queued.id, status: 'queued', outcome: 'pending', type: 'assignments.fetch' });
    },
    TIMEOUT,
  );

  it(
    'the text form lists the fields; a run of another workspace is not found (exit 1)',
    async () => {
      const r = await opsctl(['runs', 'show', running.id, '--workspace', workspace()], env);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^id +${running.id}$`, 'm'));
      expect(r.stdout).toMatch(/^status +running$/m);
      expect(r.stdout).toMatch(/^counters +2\/5 \(failed 1\)$/m);
      const other = await opsctl(['runs', 'show', running.id, '--workspace', '7c1e4a52-8f0e-4c1d-9a53-6f1d2f1c0a99', '--json'], env);
      expect(other.code).toBe(1);
      expect(other.stdout).toBe('');
      expect(other.stderr).toBe('opsctl: run not found in this workspace\n');
    },
    TIMEOUT,
  );

  it(
    'a malformed run id → exit 2',
    async () => {
      const r = await opsctl(['runs', 'show', 'abc', '--workspace', workspace()], env);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe('opsctl: <run-id>: must be a UUID');
    },
    TIMEOUT,
  );
});

describe('opsctl runs list', () => {
  it(
    '--json: {runs, next_cursor}, newest first, filters and paging',
    async () => {
      const all = await opsctlJson<RunsListJson>(['runs', 'list', '--workspace', workspace()], env);
      expect(Object.keys(all)).toEqual(['runs', 'next_cursor']);
      expect(all.next_cursor).toBeNull();
      expect(all.runs.map((r) => r.id)).toEqual([running.id, queued.id]);
      for (const run of all.runs) expect(Object.keys(run).sort()).toEqual(RUN_FIELDS);

      const byStatus = await opsctlJson<RunsListJson>(['runs', 'list', '--workspace', workspace(), '--status', 'running'], env);
      expect(byStatus.runs.map((r) => r.id)).toEqual([running.id]);
      const byTenant = await opsctlJson<RunsListJson>(
        ['runs', 'list', '--workspace', workspace(), '--tenant', h.seed.tenants[0]!.id, '--type', 'assignments.fetch'],
        env,
      );
      expect(byTenant.runs.map((r) => r.id)).toEqual([queued.id]);

      const page1 = await opsctlJson<RunsListJson>(['runs', 'list', '--workspace', workspace(), '--limit', '1'], env);
      expect(page1.runs.map((r) => r.id)).toEqual([running.id]);
      expect(page1.next_cursor).toEqual(expect.any(String));
      const page2 = await opsctlJson<RunsListJson>(
        ['runs', 'list', '--workspace', workspace(), '--limit', '1', '--cursor', page1.next_cursor!],
        env,
      );
      expect(page2.runs.map((r) => r.id)).toEqual([queued.id]);
    },
    TIMEOUT,
  );

  it(
    "the table has the documented columns and shows a running run's progress counters",
    async () => {
      const r = await opsctl(['runs', 'list', '--workspace', workspace()], env);
      expect(r.code).toBe(0);
      const [header, ...lines] = r.stdout.split('\n');
      expect(header!.split(/\s+/)).toEqual([
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
      const row = lines.find((l) => l.startsWith(running.id))!;
      expect(row).toContain('assignments.restore');
      expect(row).toContain(h.seed.tenants[1]!.id);
      expect(row).toMatch(/ running +pending +2\/5 \(failed 1\) +1 +0 +\d{4}-/);
      expect(lines.find((l) => l.startsWith(queued.id))).toMatch(/ queued +pending +- +0 +0 /);
      expect(r.stdout).toContain('2 runs');
    },
    TIMEOUT,
  );

  it(
    'bad filters → exit 2 naming each option',
    async () => {
      const r = await opsctl(['runs', 'list', '--workspace', workspace(), '--limit', '501', '--status', 'done', '--type', 'x'], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--limit: must be a whole number from 1 to 500');
      expect(r.stderr).toContain("--status: 'done' is not valid — one of queued, running, completed");
      expect(r.stderr).toContain("--type: 'x' is not valid");
      const cursor = await opsctl(['runs', 'list', '--workspace', workspace(), '--cursor', 'garbage'], env);
      expect(cursor.code).toBe(2);
      expect(cursor.stderr).toMatch(/^opsctl: the ledger refused the request: invalid cursor/);
    },
    TIMEOUT,
  );
});

describe('opsctl runs wait', () => {
  it(
    'a queued run and --timeout 1 → exit 1 within ~3 s naming the status',
    async () => {
      // measured against a one-request command, so a loaded machine's slower node start-up does not count
      const baseline = await opsctl(['runs', 'show', queued.id, '--workspace', workspace(), '--json'], env);
      const r = await opsctl(['runs', 'wait', queued.id, '--workspace', workspace(), '--timeout', '1', '--json'], env);
      expect(r.code).toBe(1);
      expect(r.ms).toBeLessThan(baseline.ms + 2_000);
      expect(r.ms).toBeGreaterThanOrEqual(1_000);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^opsctl: run ${queued.id} not completed after 1 s \\(status queued\\)`));
    },
    TIMEOUT,
  );

  it(
    'returns the run object once a completed event reaches the ledger',
    async () => {
      const run = await ensure(0, 'assignments.restore');
      const waiting = opsctl(['runs', 'wait', run.id, '--workspace', workspace(), '--timeout', '20', '--json'], env);
      // the CLI starts in ~1 s: it has been polling a queued run for a while when the events arrive
      await sleep(2_500);
      await publishEvents(h.nc, h.names, run, { completed: true });
      const r = await waiting;
      expect(r.ms).toBeGreaterThanOrEqual(2_500);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const doc = runV1.parse(JSON.parse(r.stdout));
      expect(doc).toMatchObject({
        id: run.id,
        status: 'completed',
        outcome: 'succeeded',
        summary_counts: { total: 2, processed: 2, failed: 0 },
      });
    },
    TIMEOUT,
  );

  it(
    '--timeout out of range → exit 2',
    async () => {
      for (const t of ['0', '3601', '1.5']) {
        const r = await opsctl(['runs', 'wait', queued.id, '--workspace', workspace(), '--timeout', t], env);
        expect(r.code).toBe(2);
        expect(r.stderr.split('\n')[0]).toBe('opsctl: --timeout: must be a whole number from 1 to 3600');
      }
    },
    TIMEOUT,
  );

  it(
    'NATS going away while waiting → exit 1 at once with one clear line (no reconnect loop)',
    async () => {
      const relay = await natsRelay();
      const waiting = opsctl(['runs', 'wait', queued.id, '--workspace', workspace(), '--timeout', '60', '--json'], {
        ...env,
        NATS_URL: relay.url,
      });
      // cut only once the CLI is connected and polling (a loaded machine starts it slowly)
      await until(async () => relay.seen('get_run') >= 2, 20_000);
      const cutAt = Date.now();
      relay.cut();
      const r = await waiting;
      expect(r.code).toBe(1);
      expect(Date.now() - cutAt).toBeLessThan(3_000);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`opsctl: lost the NATS connection to ${relay.url.slice('nats://'.length)} — retry once NATS is back\n`);
    },
    TIMEOUT,
  );
});
