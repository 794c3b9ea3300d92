import { z } from 'zod';

/**
 * Housekeeping's per-workspace lease in ops_locks (overlap prevention,
 * T033). `tick` is the scheduled instant an execution belongs to: every
 * replica's scheduler fires for the same tick, and only the first to write
 * the lease for it executes — the others see the tick and stand down.
 */
export const housekeepingLeaseSchema = z.object({
  run_id: z.uuid().nullable(),
  owner: z.string(),
  state: z.enum(['running', 'completed']),
  tick: z.string(),
  heartbeat_at: z.iso.datetime(),
});
export type HousekeepingLease = z.infer<typeof housekeepingLeaseSchema>;

export type LeaseChoice = { kind: 'take'; revision: number } | { kind: 'stand_down'; runId: string | null };

/** Given the current lease (or its absence), may this execution take it? (pure) */
export function chooseLease(
  existing: { value: HousekeepingLease | null; revision: number } | null,
  tick: string,
  now: Date,
  staleMs: number,
): LeaseChoice | { kind: 'create' } {
  if (!existing) return { kind: 'create' };
  const v = existing.value;
  if (!v) return { kind: 'take', revision: existing.revision };
  if (v.tick === tick) return { kind: 'stand_down', runId: v.run_id };
  if (v.state === 'running' && now.getTime() - Date.parse(v.heartbeat_at) <= staleMs) return { kind: 'stand_down', runId: v.run_id };
  return { kind: 'take', revision: existing.revision };
}
