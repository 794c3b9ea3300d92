import { z } from 'zod';

/**
 * The operation catalog (the seed's OperationCatalog): one entry per run type
 * with its label, scope, expected duration, cooldown, allowed summary keys and
 * the zod schema of its fingerprint inputs. Anything not in `inputs` cannot
 * reach the identity hash (FR-004b).
 */

const uuid = z.uuid();

/** Policy selection: sorted and de-duplicated so the fingerprint is stable. */
const policySelection = z
  .object({
    /** Policies (our ids) to work on; empty means every policy of the tenant. */
    policy_ids: z
      .array(uuid)
      .max(500)
      .default([])
      .transform((ids) => [...new Set(ids.map((id) => id.toLowerCase()))].sort()),
  })
  .strict();

export const SUMMARY_KEYS = ['total', 'processed', 'failed'] as const;
type SummaryKey = (typeof SUMMARY_KEYS)[number];

interface CatalogEntry {
  readonly label: string;
  /** tenant-scoped runs carry a tenant_id; workspace-scoped runs (housekeeping) do not */
  readonly scope: 'tenant' | 'workspace';
  /** used by housekeeping to decide when a running run is stale */
  readonly expectedDurationSeconds: number;
  /** no new run of the same identity within this long after a completion (FR-005a) */
  readonly cooldownSeconds: number;
  readonly summaryKeys: readonly SummaryKey[];
  readonly inputs: z.ZodType<Record<string, unknown>>;
}

/**
 * The dedupe window (FR-005a): no new run of an assignment identity within
 * 15 minutes of its last completion. The one home of the 15 minutes: the
 * jobs stream's duplicate window and the default TTL of the locks bucket (the
 * execution-side cooldown marker) derive from the longest cooldown below.
 */
const DEDUPE_WINDOW_SECONDS = 15 * 60;

export const CATALOG = {
  'assignments.fetch': {
    label: 'Fetch policy assignments',
    scope: 'tenant',
    expectedDurationSeconds: 5 * 60,
    cooldownSeconds: DEDUPE_WINDOW_SECONDS,
    summaryKeys: SUMMARY_KEYS,
    inputs: policySelection,
  },
  'assignments.restore': {
    label: 'Restore policy assignments',
    scope: 'tenant',
    expectedDurationSeconds: 5 * 60,
    cooldownSeconds: DEDUPE_WINDOW_SECONDS,
    summaryKeys: SUMMARY_KEYS,
    inputs: policySelection,
  },
  'ops.reconcile_adapter_runs': {
    label: 'Reconcile adapter runs',
    scope: 'workspace',
    expectedDurationSeconds: 2 * 60,
    // scheduled: overlap prevention only, no cooldown
    cooldownSeconds: 0,
    summaryKeys: SUMMARY_KEYS,
    inputs: z.object({}).strict(),
  },
} as const satisfies Record<string, CatalogEntry>;

export type RunType = keyof typeof CATALOG;
export const RUN_TYPES = Object.keys(CATALOG) as RunType[];
export const runTypeSchema = z.enum(RUN_TYPES as [RunType, ...RunType[]]);

/**
 * The longest cooldown of any type. A re-published job must be dropped by
 * JetStream for at least this long (duplicate window), and a completion
 * marker must live at least this long (locks bucket TTL).
 */
export const LONGEST_COOLDOWN_SECONDS = Math.max(...RUN_TYPES.map((t) => CATALOG[t].cooldownSeconds));

export function catalogEntry(type: RunType): CatalogEntry {
  return CATALOG[type];
}

export function isRunType(value: string): value is RunType {
  return Object.hasOwn(CATALOG, value);
}

/** A run's inputs as its catalog schema reads them — the one way code reaches `policy_ids`. */
export interface RunInputs {
  /** the whitelisted, normalized inputs (what the identity hashes and the run's context stores) */
  readonly fingerprint: Record<string, unknown>;
  /** the policy selection; empty means every policy of the tenant (and always empty for a type without one) */
  readonly policyIds: readonly string[];
}

export function parseRunInputs(type: RunType, inputs: unknown): { ok: true; value: RunInputs } | { ok: false; issues: string[] } {
  const parsed = CATALOG[type].inputs.safeParse(inputs ?? {});
  if (!parsed.success)
    return { ok: false, issues: parsed.error.issues.map((i) => `${['inputs', ...i.path.map(String)].join('.')}: ${i.message}`) };
  const fingerprint: Record<string, unknown> = parsed.data;
  return { ok: true, value: { fingerprint, policyIds: 'policy_ids' in parsed.data ? parsed.data.policy_ids : [] } };
}

/** Types an operator dispatches by hand (`opsctl dispatch`). */
export const DISPATCHABLE_TYPES = RUN_TYPES.filter((t) => CATALOG[t].scope === 'tenant');
