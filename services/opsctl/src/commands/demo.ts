import { CATALOG, type RunType, type RunV1 } from '@ops/contracts';
import { z } from 'zod';
import { intArg, uuidArg } from '../args.ts';
import { defineCommand } from '../cli.ts';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';
import { counters } from '../run-format.ts';
import { type DispatchJson, dispatchRun } from './dispatch.ts';
import { listRuns, renderRuns } from './runs-list.ts';
import { waitForRun } from './runs-wait.ts';
import { loadTenants } from './tenants-list.ts';

/**
 * A scripted tour of a running system (`pnpm start`) built from the other
 * commands' code: dispatch a fetch, dispatch it again (deduplicated to the
 * same run), restore, wait, show the ledger. Nothing here decides anything
 * the ledger does not: the tour only reports what the services answered.
 */

export type DemoStep =
  | { step: 'target'; workspace_id: string; tenant_id: string; picked: boolean; note: string }
  | ({ step: 'dispatch_fetch' | 'dispatch_fetch_again' | 'dispatch_restore'; type: RunType; note: string } & DispatchJson)
  | { step: 'wait_fetch' | 'wait_restore'; run_id: string; status: RunV1['status']; outcome: RunV1['outcome']; note: string };

/** `--json`: the steps in order and the tour's runs (fetch, restore) as the ledger holds them at the end. */
export interface DemoJson {
  steps: DemoStep[];
  runs: RunV1[];
}

const INITIATOR = 'opsctl demo';
const LEDGER_ROWS = 10;

export const demo = defineCommand({
  path: ['demo'],
  summary: 'a guided tour on a running system: fetch, the same fetch again (deduplicated), restore, the ledger',
  usage: 'opsctl demo [--workspace <uuid>] [--tenant <uuid>] [--timeout <seconds 1-3600>] [--json]',
  help: [
    'Needs the whole system running (`pnpm start`). Without --workspace/--tenant it takes the first',
    'workspace with tenants and its first tenant from the database (the order of `opsctl tenants list`).',
    'Steps: dispatch assignments.fetch; the very same dispatch again (the ledger answers with the same',
    'run: active, or cooldown once it completed); wait for the fetch (a restore re-applies the newest',
    "fetched snapshot); dispatch assignments.restore; wait for it; print the tenant's runs.",
    'Run again within 15 minutes, the dispatches answer cooldown: the tour shows the existing runs.',
    '--timeout (default 60 s) bounds all the waiting together; exit 1 if the runs are not done by then,',
    'or if the second dispatch were answered with a different run.',
  ].join('\n'),
  options: { workspace: { type: 'string' }, tenant: { type: 'string' }, timeout: { type: 'string' } },
  schema: z.object({ workspace: uuidArg().optional(), tenant: uuidArg().optional(), timeout: intArg(1, 3600).default(60) }),
  async run(ctx, args) {
    const target = await pickTarget(ctx, args);
    const { ledger } = await ctx.nats();
    const deadline = Date.now() + args.timeout * 1000;
    const { workspace_id: workspace, tenant_id: tenant } = target.step;
    const steps: DemoStep[] = [target.step];
    const lines: string[] = [target.step.note, ''];
    const say = (step: DemoStep, result: string[]) => {
      steps.push(step);
      lines.push(`${steps.length - 1}. ${step.note}`, ...result.map((l) => `   ${l}`));
    };
    const send = (type: RunType) => dispatchRun(ctx, { type, workspace, tenant, initiator: INITIATOR });
    const wait = (run: RunV1) => waitForRun(ledger, { workspace, runId: run.id, timeoutSeconds: args.timeout, deadline });

    const first = await send('assignments.fetch');
    say(
      {
        step: 'dispatch_fetch',
        type: 'assignments.fetch',
        note: 'dispatch assignments.fetch: the ledger creates a run, or answers with the run this identity already has',
        ...first.json,
      },
      [first.text, ...whyNotCreated(first.json, 'assignments.fetch')],
    );

    const again = await send('assignments.fetch');
    say(
      {
        step: 'dispatch_fetch_again',
        type: 'assignments.fetch',
        note: 'the very same dispatch again, at once: same tenant, type and inputs = same run identity',
        ...again.json,
      },
      [again.text],
    );
    if (again.json.run_id !== first.json.run_id) {
      throw new CliError(
        1,
        `the repeated dispatch answered run ${again.json.run_id} (${again.json.disposition}), not run ${first.json.run_id} — the ledger did not deduplicate this identity; check the ledger service and \`opsctl runs list --workspace ${workspace} --tenant ${tenant}\``,
      );
    }
    lines.push(`   same run ${first.json.run_id}: deduplicated by the ledger, no second job published`);

    const fetched = await wait(first.run);
    say(
      {
        step: 'wait_fetch',
        run_id: fetched.id,
        status: fetched.status,
        outcome: fetched.outcome,
        note: 'wait for the fetch: a restore re-applies the newest fetched snapshot',
      },
      [finished(fetched)],
    );

    const restore = await send('assignments.restore');
    say(
      { step: 'dispatch_restore', type: 'assignments.restore', note: 'dispatch assignments.restore for the same tenant', ...restore.json },
      [restore.text, ...whyNotCreated(restore.json, 'assignments.restore')],
    );

    const restored = await wait(restore.run);
    say(
      {
        step: 'wait_restore',
        run_id: restored.id,
        status: restored.status,
        outcome: restored.outcome,
        note: `wait for the restore (all waiting bounded by --timeout ${args.timeout} s)`,
      },
      [finished(restored)],
    );

    const json: DemoJson = { steps, runs: [fetched, restored] };
    if (ctx.json) return { json, text: '' };
    // the ledger as operators read it: the same request and table as `opsctl runs list`
    const listed = await listRuns(ledger, { workspace_id: workspace, tenant_id: tenant, limit: LEDGER_ROWS });
    lines.push('', `the ledger — opsctl runs list --workspace ${workspace} --tenant ${tenant}:`, renderRuns(listed));
    return { json, text: lines.join('\n') };
  },
});

/** Explains an answer other than created (someone ran the demo or the same dispatch moments ago). */
function whyNotCreated(reply: DispatchJson, type: RunType): string[] {
  switch (reply.disposition) {
    case 'created':
      return [];
    case 'active':
      return [`an ${type} of this tenant was already in flight: the tour follows that run`];
    case 'cooldown':
      return [
        `this tenant's ${type} completed less than ${CATALOG[type].cooldownSeconds / 60} minutes ago (a previous tour?): no new run, the tour shows that one`,
      ];
  }
}

function finished(run: RunV1): string {
  return `run ${run.id} ${run.status}: ${run.outcome}, processed ${counters(run)}, dedupe_hits ${run.dedupe_hits}`;
}

/** --workspace/--tenant as given, else the first of `tenants list` (and the step says it was picked). */
async function pickTarget(
  ctx: Context,
  args: { workspace?: string | undefined; tenant?: string | undefined },
): Promise<{ step: Extract<DemoStep, { step: 'target' }> }> {
  if (args.workspace !== undefined && args.tenant !== undefined) {
    return {
      step: {
        step: 'target',
        workspace_id: args.workspace,
        tenant_id: args.tenant,
        picked: false,
        note: `tour of workspace ${args.workspace}, tenant ${args.tenant}`,
      },
    };
  }
  const { workspaces } = await loadTenants(ctx);
  const candidates = workspaces
    .filter((w) => args.workspace === undefined || w.id === args.workspace)
    .flatMap((w) => w.tenants.filter((t) => args.tenant === undefined || t.id === args.tenant).map((t) => ({ w, t })));
  const found = candidates[0];
  if (!found) {
    const what =
      args.tenant !== undefined
        ? `tenant ${args.tenant}`
        : args.workspace !== undefined
          ? `a tenant in workspace ${args.workspace}`
          : 'a tenant';
    throw new CliError(1, `no ${what} in the database — run \`pnpm seed\`, or pick ids from \`opsctl tenants list\``);
  }
  const { w, t } = found;
  const note = `tour of workspace ${w.name} (${w.id}), tenant ${t.name} (${t.id}) — picked from the database (choose with --workspace/--tenant)`;
  return { step: { step: 'target', workspace_id: w.id, tenant_id: t.id, picked: true, note } };
}
