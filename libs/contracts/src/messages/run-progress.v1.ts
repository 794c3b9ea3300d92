import { z } from 'zod';
import { summaryCountsSchema } from './common.ts';
import { runEventBase } from './run-event-base.ts';

/** ops.ledger.events.progress (v1): the attempt's counters so far (they replace, never add). */
export const runProgressV1 = z.object({ ...runEventBase, kind: z.literal('progress'), counts: summaryCountsSchema }).strict();
