import { z } from 'zod';
import type { LedgerEventKind } from '../names.ts';
import { runCompletedV1 } from './run-completed.v1.ts';
import { runProgressV1 } from './run-progress.v1.ts';
import { runStartedV1 } from './run-started.v1.ts';

/** Any event on ops.ledger.events.* (v1); `kind` must match the subject's last token. */
export const ledgerEventV1 = z.union([runStartedV1, runProgressV1, runCompletedV1]);
export type LedgerEventV1 = z.infer<typeof ledgerEventV1>;

export const LEDGER_EVENT_SCHEMAS = {
  started: runStartedV1,
  progress: runProgressV1,
  completed: runCompletedV1,
} as const satisfies Record<LedgerEventKind, z.ZodType>;
