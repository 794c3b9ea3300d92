import { z } from 'zod';
import { failureSummarySchema, isoDateTime, summaryCountsSchema, TERMINAL_OUTCOMES } from './common.ts';
import { runEventBase } from './run-event-base.ts';

/**
 * ops.ledger.events.completed (v1): the attempt's final outcome, counters and
 * sanitized failures. The completing attempt's counters overwrite whatever
 * the ledger had (final attempt wins, FR-003).
 */
export const runCompletedV1 = z
  .object({
    ...runEventBase,
    kind: z.literal('completed'),
    outcome: z.enum(TERMINAL_OUTCOMES),
    counts: summaryCountsSchema,
    failures: failureSummarySchema.default([]),
    /** when this attempt started: its started event is published only if it was still running at its first heartbeat */
    started_at: isoDateTime.optional(),
    /** housekeeping's closure of a run nobody was seen finishing: a real completion always replaces it, it never replaces one */
    heal: z.literal(true).optional(),
  })
  .strict()
  .refine((e) => e.outcome !== 'succeeded' || (e.counts.failed === 0 && e.failures.length === 0), {
    message: 'a succeeded run has no failures',
  })
  .refine((e) => e.outcome === 'succeeded' || e.outcome === 'cancelled' || e.failures.length > 0, {
    message: 'a failed or partially succeeded run names at least one failure',
  });
