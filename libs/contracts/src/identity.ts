import { createHash } from 'node:crypto';
import { parseRunInputs, type RunType } from './catalog.ts';
import { OpsError } from './errors.ts';

/**
 * Run identity (FR-004a/b): `operation_run_id` when the caller already has a
 * run, else sha256(version | tenant | type | canonical JSON of the type's
 * whitelisted, non-secret inputs). Bump the version only with a migration
 * plan: it changes every hash.
 */
const IDENTITY_VERSION = 'v1';

/** JSON with object keys sorted at every level, so equal inputs hash equally. */
export function canonicalJson(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('non-finite number');
    // like JSON.stringify: undefined (and functions) become null inside arrays
    return value === undefined || typeof value === 'function' ? 'null' : JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export interface IdentityInput {
  readonly type: RunType;
  readonly workspaceId: string;
  readonly tenantId: string | null;
  readonly inputs: unknown;
  /** when present, the identity is the run itself */
  readonly runId?: string | undefined;
}

interface Identity {
  readonly hash: string;
  /** the whitelisted inputs that went into the hash (safe to store as context) */
  readonly fingerprintInputs: Record<string, unknown>;
  /** the policy selection of those inputs (catalog schema), empty = every policy */
  readonly policyIds: readonly string[];
}

export function computeIdentity(input: IdentityInput): Identity {
  const parsed = parseRunInputs(input.type, input.inputs);
  if (!parsed.ok) throw new OpsError('bad_request', `invalid inputs for ${input.type}`, { issues: parsed.issues });
  const { fingerprint: fingerprintInputs, policyIds } = parsed.value;
  // workspace-scoped runs have no tenant: scope their identity by workspace
  // ids in any letter case are one id (issue #16); lower-case ids — all the system writes — hash as before
  const scope = input.tenantId ? `tenant:${input.tenantId.toLowerCase()}` : `workspace:${input.workspaceId.toLowerCase()}`;
  const material = input.runId
    ? [IDENTITY_VERSION, scope, input.type, `run:${input.runId.toLowerCase()}`]
    : [IDENTITY_VERSION, scope, input.type, canonicalJson(fingerprintInputs)];
  const hash = createHash('sha256').update(material.join('|')).digest('hex');
  return { hash, fingerprintInputs, policyIds };
}
