/**
 * Typed errors shared by every package: a small base error with a code from
 * an `as const` registry and an optional cause (nats.js errors.ts style).
 * Predicates beat instanceof chains across package boundaries.
 */
export const ERROR_CODES = {
  bad_request: 'the request or message failed validation',
  not_found: 'no such record in this workspace',
  conflict: 'the request conflicts with the current state',
  /** the NATS user may not publish on the subject (the server refused it): an operator action as a read-only user */
  forbidden: 'the caller may not make this request',
  unavailable: 'a dependency (NATS or PostgreSQL) is unavailable',
  timeout: 'the operation timed out',
  internal: 'unexpected internal error',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class OpsError extends Error {
  override readonly name: string = 'OpsError';
  readonly code: ErrorCode;
  /** field-level problems for bad_request (paths and messages, never values) */
  readonly issues: readonly string[];

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; issues?: readonly string[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.issues = options.issues ?? [];
  }
}

export function isOpsError(err: unknown): err is OpsError {
  return err instanceof Error && typeof (err as OpsError).code === 'string' && (err as OpsError).code in ERROR_CODES;
}
