import type { GraphClient } from '@ops/graph';
import type { Snapshots } from '../repositories/snapshots.ts';
import type { PolicyRef } from '../repositories/tenancy.ts';

/** Thrown for an item that cannot be done for a reason of ours, not Graph's. */
export class ItemError extends Error {
  override readonly name = 'ItemError';
  readonly code: 'snapshot.missing';
  constructor(code: 'snapshot.missing', message: string) {
    super(message);
    this.code = code;
  }
}

export interface ItemContext {
  readonly graph: GraphClient;
  readonly snapshots: Snapshots;
  readonly workspaceId: string;
  readonly tenantId: string;
  readonly tenantExternalId: string;
  readonly runId: string;
  /** the attempt writing: a snapshot row is overwritten only by the same or a later attempt */
  readonly attempt: number;
  /** aborts the item's Graph calls and database writes (lease lost, shutdown) */
  readonly signal: AbortSignal;
  /** throws unless the lease is still held: checked right before a write */
  readonly fence: () => void;
  readonly now: () => Date;
}

/** One item of a fetch: read the policy's assignments from Graph, keep them as this run's snapshot. */
export async function fetchItem(ctx: ItemContext, policy: PolicyRef): Promise<void> {
  const assignments = await ctx.graph.listAssignments(ctx.tenantExternalId, policy.externalId, ctx.signal);
  ctx.fence();
  await ctx.snapshots.save(
    {
      workspaceId: ctx.workspaceId,
      tenantId: ctx.tenantId,
      policyId: policy.id,
      runId: ctx.runId,
      attempt: ctx.attempt,
      assignments,
      at: ctx.now(),
    },
    ctx.signal,
  );
}

/** One item of a restore: re-apply the newest snapshot of the policy. */
export async function restoreItem(ctx: ItemContext, policy: PolicyRef): Promise<void> {
  const snapshot = await ctx.snapshots.latest(policy.id, ctx.signal);
  if (!snapshot) throw new ItemError('snapshot.missing', `no fetched snapshot of policy ${policy.id} to restore`);
  ctx.fence();
  await ctx.graph.assign(ctx.tenantExternalId, policy.externalId, snapshot, ctx.signal);
}

export const ITEM_WORK = {
  'assignments.fetch': fetchItem,
  'assignments.restore': restoreItem,
} as const;
