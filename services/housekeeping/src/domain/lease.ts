import type { WorkspaceLeaseV1 } from '@ops/contracts';

export type LeaseChoice = { kind: 'take'; revision: number } | { kind: 'stand_down'; runId: string | null };

/**
 * Given the workspace's lease (or its absence; `value` null when unreadable),
 * may this execution take it? (pure; the value's shape: `workspaceLeaseV1` of @ops/contracts)
 */
export function chooseLease(
  existing: { value: WorkspaceLeaseV1 | null; revision: number } | null,
  tick: string,
  now: Date,
  staleMs: number,
): LeaseChoice | { kind: 'create' } {
  if (!existing) return { kind: 'create' };
  const v = existing.value;
  // unreadable (garbage, or a replica of another version during an upgrade): never
  // guessed to be over — stand down; the bucket TTL removes a value nobody renews
  if (!v) return { kind: 'stand_down', runId: null };
  if (v.tick === tick) return { kind: 'stand_down', runId: v.run_id };
  if (v.state === 'running' && now.getTime() - Date.parse(v.heartbeat_at) <= staleMs) return { kind: 'stand_down', runId: v.run_id };
  return { kind: 'take', revision: existing.revision };
}
