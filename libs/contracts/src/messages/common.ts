import { z } from 'zod';
import { FAILURE_CODE_LIST, FAILURE_LIMITS, type FailureCode } from '../failure-codes.ts';

/** Shared building blocks of the message schemas. */

/**
 * A UUID in any letter case, lower-cased: one id however a caller writes it,
 * so an identity hash and a lease key never depend on the case (issue #16).
 * Lower-case input — all ids this system writes — is unchanged.
 */
export const uuidSchema = z.uuid().transform((id) => id.toLowerCase());

/**
 * Free text that PostgreSQL can store: no NUL character (text and jsonb refuse
 * it) and no unpaired UTF-16 surrogate (jsonb refuses its `\\ud800` escape).
 * Refused here, at the edge, such text is a bad request or a dead letter with
 * a reason — not a batch the database refuses on every redelivery.
 */
export function storableText(schema: z.ZodString): z.ZodType<string> {
  return schema.refine((s) => !s.includes('\u0000') && s.isWellFormed(), 'must not contain NUL or unpaired surrogate characters');
}
/** the range PostgreSQL's timestamptz and every clock of ours can hold */
const TIMESTAMP_RANGE = { min: Date.UTC(1970, 0, 1), max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) } as const;

/**
 * An ISO-8601 timestamp with an offset, within 1970–9999, normalized to UTC
 * (`…Z`). The ISO grammar alone admits year 0000 and ±23:59 offsets, which
 * PostgreSQL refuses: such a value would reach the database and fail the
 * whole event batch on every redelivery. Validated here, it is bad input
 * (dead letter / bad_request) like any other.
 */
export const isoDateTime = z.iso
  .datetime({ offset: true })
  .refine((s) => {
    const t = Date.parse(s);
    return Number.isFinite(t) && t >= TIMESTAMP_RANGE.min && t <= TIMESTAMP_RANGE.max;
  }, 'must be a timestamp between 1970 and 9999')
  .transform((s) => new Date(s).toISOString());

/** Non-negative counter; 1e9 bounds absurd values from a misbehaving producer. */
const counter = z.number().int().min(0).max(1_000_000_000);

/** Summary counters (FR-001/002): exactly the catalog's keys, all present. */
export const summaryCountsSchema = z
  .object({ total: counter, processed: counter, failed: counter })
  .strict()
  .refine((c) => c.processed + c.failed <= c.total, {
    message: 'processed + failed must not exceed total',
  });
export type SummaryCounts = z.infer<typeof summaryCountsSchema>;

const failureCodeSchema = z.enum(FAILURE_CODE_LIST as [FailureCode, ...FailureCode[]]);

/** One failure-summary entry: a registered code, a sanitized message and how often it happened. */
const failureEntrySchema = z
  .object({
    code: failureCodeSchema,
    message: storableText(z.string().min(1).max(FAILURE_LIMITS.maxMessageLength)),
    count: z.number().int().min(1).max(1_000_000_000).default(1),
  })
  .strict();
export type FailureEntry = z.infer<typeof failureEntrySchema>;

export const failureSummarySchema = z.array(failureEntrySchema).max(FAILURE_LIMITS.maxEntries);

export const RUN_STATUSES = ['queued', 'running', 'completed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const RUN_OUTCOMES = ['pending', 'succeeded', 'partially_succeeded', 'failed', 'cancelled'] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];
export const TERMINAL_OUTCOMES = ['succeeded', 'partially_succeeded', 'failed', 'cancelled'] as const;
export type TerminalOutcome = (typeof TERMINAL_OUTCOMES)[number];

/** Formats zod issues as "path: message" lines — never the offending values. */
export function describeIssues(error: z.ZodError, root = ''): string[] {
  return error.issues.slice(0, 20).map((issue) => {
    const path = [root, ...issue.path.map(String)].filter(Boolean).join('.');
    return `${path || '(root)'}: ${issue.message}`;
  });
}
