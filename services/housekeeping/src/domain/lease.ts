import type { WorkspaceLeaseV1 } from '@ops/contracts';

export type LeaseChoice = { kind: 'take'; revision: number } | { kind: 'stand_down'; runId: string | null };

/**
 * Given the workspace's lease (or its absence; `value` null when unreadable),
 * may this execution take it? (pure; the value's shape: `workspaceLeaseV1` of
 * @ops/contracts). A running lease of another tick is taken only once this
 * replica has seen it unchanged for longer than the stale time on its own
 * clock (`unchangedForMs`, see LeaseObservations): a live execution renews it
 * and is never taken over, whatever the two hosts' wall clocks say. A lease
 * this process wrote but none of its executions holds (`ownAbandoned`) is
 * taken at once.
 */
export function chooseLease(
  existing: {
    value: WorkspaceLeaseV1 | null;
    revision: number;
    unchangedForMs: number;
    /** written by this process, held by none of its executions: a write whose answer was lost */
    ownAbandoned?: boolean;
  } | null,
  tick: string,
  staleMs: number,
): LeaseChoice | { kind: 'create' } {
  if (!existing) return { kind: 'create' };
  const v = existing.value;
  // unreadable (garbage, or a replica of another version during an upgrade): never
  // guessed to be over — stand down; the bucket TTL removes a value nobody renews
  if (!v) return { kind: 'stand_down', runId: null };
  // nobody runs under it: take it now (CAS at its revision) instead of after the stale time
  if (existing.ownAbandoned === true) return { kind: 'take', revision: existing.revision };
  if (v.tick === tick) return { kind: 'stand_down', runId: v.run_id };
  if (v.state === 'running' && existing.unchangedForMs <= staleMs) return { kind: 'stand_down', runId: v.run_id };
  return { kind: 'take', revision: existing.revision };
}
