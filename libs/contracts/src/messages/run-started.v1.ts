import { z } from 'zod';
import { runEventBase } from './run-event-base.ts';

/** ops.ledger.events.started (v1): an attempt began executing (status → running). */
export const runStartedV1 = z.object({ ...runEventBase, kind: z.literal('started'), seq: z.literal(0) }).strict();
