import type { ErrorCode, OpsError } from './errors.ts';
import { sanitizeMessage } from './sanitize.ts';

interface ErrorReplyBody {
  readonly ok: false;
  readonly error: { readonly code: ErrorCode; readonly message: string; readonly issues: readonly string[] };
}

/**
 * The body of every micro-service error reply (ledger API, housekeeping).
 * Issues can carry attacker-chosen field names (`unrecognized key "postgres://…"`),
 * so message and issues are sanitized and capped here, once, for every responder.
 */
export function errorReplyBody(err: OpsError): ErrorReplyBody {
  return {
    ok: false,
    error: {
      code: err.code,
      message: sanitizeMessage(err.message, { maxLength: 300 }),
      issues: err.issues.slice(0, 20).map((i) => sanitizeMessage(i, { maxLength: 200 })),
    },
  };
}
