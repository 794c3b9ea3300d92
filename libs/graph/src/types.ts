import type { FailureCode } from '@ops/contracts';

/**
 * The slice of Microsoft Graph the workers use: a policy's assignments,
 * read (fetch) and re-applied (restore). Tenants are Entra tenants, named by
 * their directory id (our tenants.external_id); policies by their Graph id
 * (our policies.external_id).
 */
export interface GraphAssignment {
  readonly id: string;
  readonly target: Readonly<Record<string, unknown>>;
}

export interface GraphClient {
  /** every assignment of a policy, following @odata.nextLink */
  listAssignments(tenantExternalId: string, policyExternalId: string, signal?: AbortSignal): Promise<GraphAssignment[]>;
  /** replaces the policy's assignments with these (POST …/assign) */
  assign(tenantExternalId: string, policyExternalId: string, assignments: readonly GraphAssignment[], signal?: AbortSignal): Promise<void>;
}

/**
 * Every Graph failure, mapped to a registered failure code. `transient`
 * failures (throttled after retries, unavailable, timeout) make the whole run
 * retry as a new attempt; the others fail just the item.
 */
export class GraphError extends Error {
  override readonly name = 'GraphError';
  readonly code: FailureCode;
  readonly status: number | undefined;
  readonly transient: boolean;

  constructor(code: FailureCode, message: string, options: { status?: number | undefined; transient: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.transient = options.transient;
  }
}

export function isGraphError(err: unknown): err is GraphError {
  return err instanceof Error && err.name === 'GraphError' && typeof (err as GraphError).code === 'string';
}

export function isTransientGraphError(err: unknown): boolean {
  return isGraphError(err) && err.transient;
}
