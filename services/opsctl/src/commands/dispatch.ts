import { CATALOG, DISPATCHABLE_TYPES, type Disposition, isRunType, type RunType, type RunV1 } from '@ops/contracts';
import { type DispatchResult, dispatch as dispatchJob, isJobPublishError } from '@ops/ledger-client';
import { z } from 'zod';
import { uuidArg } from '../args.ts';
import { defineCommand } from '../cli.ts';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';

/** The documented `--json` shape (docs/cli.md). */
export interface DispatchJson {
  run_id: string;
  disposition: Disposition;
  run_identity_hash: string;
  published: boolean;
}

const VALID = DISPATCHABLE_TYPES.join(', ');

const typeArg = z
  .string({ error: `is required — one of ${VALID}` })
  .superRefine((t, ctx) => {
    if ((DISPATCHABLE_TYPES as readonly string[]).includes(t)) return;
    const why = isRunType(t) ? `'${t}' is not dispatched by hand` : `unknown run type '${t}'`;
    ctx.addIssue({ code: 'custom', message: `${why} — valid types: ${VALID}` });
  })
  .transform((t) => t as RunType);

const schema = z
  .object({
    type: typeArg,
    workspace: uuidArg(),
    tenant: uuidArg().optional(),
    policy: z.array(uuidArg()).max(500, 'at most 500 policies').optional(),
    'run-id': uuidArg().optional(),
    initiator: z.string().trim().min(1, 'must not be empty').max(200, 'at most 200 characters').default('opsctl'),
  })
  .superRefine((a, ctx) => {
    // zod skips object refinements after field issues; the guard keeps it safe regardless
    if (!isRunType(a.type)) return;
    const scope = CATALOG[a.type].scope;
    if (scope === 'tenant' && a.tenant === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['tenant'],
        message: `is required for ${a.type} (tenant-scoped) — see \`opsctl tenants list\``,
      });
    }
    if (scope === 'workspace' && a.tenant !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['tenant'], message: `is not allowed for ${a.type} (workspace-scoped)` });
    }
    if (scope === 'workspace' && a.policy !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['policy'], message: `is not allowed for ${a.type} (workspace-scoped)` });
    }
  });

export const dispatch = defineCommand({
  path: ['dispatch'],
  summary: 'ensure a run through the ledger, which stores its job when it is new',
  usage: `opsctl dispatch <type> --workspace <uuid> [--tenant <uuid>] [--policy <id> …] [--run-id <uuid>] [--initiator <name>] [--json]`,
  help: [
    `<type>: ${VALID}. --tenant is required for tenant-scoped types; --policy (repeatable) takes`,
    'policy ids from `opsctl tenants list` (none = every policy of the tenant).',
    'The ledger stores the job (Nats-Msg-Id = run id) when it created the run, or when a retried dispatch',
    'finds the run queued without one; a queued, running or cooling-down run is reported, not published.',
  ].join('\n'),
  options: {
    workspace: { type: 'string' },
    tenant: { type: 'string' },
    policy: { type: 'string', multiple: true },
    'run-id': { type: 'string' },
    initiator: { type: 'string' },
  },
  positionals: ['type'],
  schema,
  async run(ctx, args) {
    const { json, text } = await dispatchRun(ctx, args);
    return { json, text };
  },
});

export type DispatchArgs = z.output<typeof schema>;

/**
 * `dispatch()` of @ops/ledger-client — the one dispatch path: ensure_run; the
 * ledger publishes the job when it created the run. Shared with
 * `opsctl demo`, so the tour dispatches exactly as operators do.
 */
export async function dispatchRun(ctx: Context, args: DispatchArgs): Promise<{ json: DispatchJson; text: string; run: RunV1 }> {
  const { ledger } = await ctx.nats();
  const tenantScoped = CATALOG[args.type].scope === 'tenant';
  let result: DispatchResult;
  try {
    result = await dispatchJob(ledger, {
      workspace_id: args.workspace,
      tenant_id: args.tenant ?? null,
      type: args.type,
      inputs: tenantScoped ? { policy_ids: args.policy ?? [] } : {},
      ...(args['run-id'] === undefined ? {} : { run_id: args['run-id'] }),
      initiator: { name: args.initiator },
    });
  } catch (err) {
    if (!isJobPublishError(err)) throw err;
    throw new CliError(1, `${err.message} — retry the dispatch once JetStream is back, or housekeeping re-publishes queued runs`, {
      cause: err,
    });
  }
  const { run, disposition, published } = result;
  const json: DispatchJson = { run_id: run.id, disposition, run_identity_hash: run.run_identity_hash, published };
  return { json, text: describe(disposition, run, published), run };
}

function describe(disposition: Disposition, run: RunV1, published: boolean): string {
  switch (disposition) {
    case 'created':
      return `created run ${run.id} (published job)`;
    case 'active':
      return published
        ? `active: run ${run.id} was queued without a stored job — the ledger stored it now`
        : `active: run ${run.id} is already ${run.status} — not published`;
    case 'cooldown': {
      const cooldown = CATALOG[run.type].cooldownSeconds;
      const until = run.completed_at ? new Date(Date.parse(run.completed_at) + cooldown * 1000).toISOString() : undefined;
      return `cooldown: run ${run.id} completed at ${run.completed_at ?? '?'} — not published${until ? ` (a new run is possible from ${until})` : ''}`;
    }
  }
}
