import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../errors.ts';

/** Error reply of every ops.ledger.api endpoint (also sent as a micro-service error header). */
export const apiErrorReplyV1 = z.object({
  ok: z.literal(false),
  error: z.object({
    code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
    message: z.string(),
    issues: z.array(z.string()).default([]),
  }),
});

/** Maps an error code to the status code carried in the micro-service error header. */
export const ERROR_STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  not_found: 404,
  conflict: 409,
  forbidden: 403,
  unavailable: 503,
  timeout: 504,
  internal: 500,
};
