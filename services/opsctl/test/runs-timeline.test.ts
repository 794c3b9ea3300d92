import { randomUUID } from 'node:crypto';
import { type RunV1, runV1, timelineEntryV1 } from '@ops/contracts';
import { cliEnv, opsctl, opsctlJson, useLedgerHarness } from '@ops/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunShowJson } from '../src/run-format.ts';
import { publishEvents, TIMEOUT, until } from './support.ts';

// issue #21 item 6: `opsctl runs show` prints the run's timeline and its audit record
const h = useLedgerHarness();
let env: Record<string, string>;
let run: RunV1;
const workspace = () => h.seed.workspace.id;

beforeAll(async () => {
  env = cliEnv(h);
  run = (
    await h.client.ensureRun({
      workspace_id: workspace(),
      tenant_id: h.seed.tenants[0]!.id,
      type: 'assignments.fetch',
      initiator: { name: 'test' },
    })
  ).run;
  await publishEvents(h.nc, h.names, run, { progress: { total: 2, processed: 1, failed: 0 }, completed: true });
  await until(async () => (await h.client.getRun({ workspace_id: workspace(), run_id: run.id })).status === 'completed');
  await h.client.recordDuplicate({ workspace_id: workspace(), run_id: run.id, reason: 'already_completed' });
  // an operator action, as the ledger's admin endpoints record it; a minute ahead: after every event
  await h.sql(
    `INSERT INTO run_actions (id, workspace_id, run_id, action, actor, reason, at, detail)
     VALUES ($1, $2, $3, 'rerun', 'alice', 'customer asked', now() + interval '1 minute', '{"new_run_id": "r2"}')`,
    [randomUUID(), workspace(), run.id],
  );
});

describe('opsctl runs show: timeline and audit', () => {
  it(
    '--json: the run object plus `timeline` (oldest first) and `actions` derived from it',
    async () => {
      const shown = await opsctlJson<RunShowJson>(['runs', 'show', run.id, '--workspace', workspace()], env);
      expect(runV1.parse(shown)).toMatchObject({ id: run.id, status: 'completed', dedupe_hits: 1 });
      for (const entry of shown.timeline) timelineEntryV1.parse(entry);
      expect(shown.timeline.map((e) => [e.kind, e.attempt, e.seq])).toEqual([
        ['started', 1, 0],
        ['progress', 1, 1],
        ['completed', 1, 2],
        ['duplicate', null, null],
        ['action', null, null],
      ]);
      expect(shown.actions).toEqual([
        { action: 'rerun', actor: 'alice', reason: 'customer asked', at: shown.timeline[4]!.at, detail: { new_run_id: 'r2' } },
      ]);
    },
    TIMEOUT,
  );

  it(
    'text: a timeline table after the fields, then the audit section',
    async () => {
      const r = await opsctl(['runs', 'show', run.id, '--workspace', workspace()], env);
      expect(r.code).toBe(0);
      const out = r.stdout;
      expect(out.indexOf('timeline:')).toBeGreaterThan(out.indexOf('updated_at'));
      expect(out.indexOf('audit:')).toBeGreaterThan(out.indexOf('timeline:'));
      expect(out).toMatch(/^ {2}AT +ATTEMPT +KIND +DETAIL$/m);
      expect(out).toMatch(/ 1 +progress +1\/2 \(failed 0\)$/m);
      expect(out).toMatch(/ 1 +completed +succeeded 2\/2 \(failed 0\)$/m);
      expect(out).toMatch(/ - +duplicate +duplicate job skipped: already_completed$/m);
      expect(out).toMatch(/ - +action +rerun by alice: customer asked$/m);
      expect(out).toMatch(/^ {2}AT +ACTION +ACTOR +REASON$/m);
      expect(out).toMatch(/ rerun +alice +customer asked$/m);
    },
    TIMEOUT,
  );

  it(
    'a queued run: an empty timeline, no actions',
    async () => {
      const queued = (
        await h.client.ensureRun({
          workspace_id: workspace(),
          tenant_id: h.seed.tenants[1]!.id,
          type: 'assignments.fetch',
          initiator: { name: 'test' },
        })
      ).run;
      const shown = await opsctlJson<RunShowJson>(['runs', 'show', queued.id, '--workspace', workspace()], env);
      expect(shown).toMatchObject({ status: 'queued', timeline: [], actions: [] });
      const r = await opsctl(['runs', 'show', queued.id, '--workspace', workspace()], env);
      expect(r.stdout).toMatch(/^timeline:\n {2}\(no events yet\)\n\naudit:\n {2}\(no operator actions\)$/m);
    },
    TIMEOUT,
  );
});
