import { dispatch } from '@ops/ledger-client';
import { sleep } from '@ops/test-support';
import { type ChaosStack, DISPATCH_RATE } from './stack.ts';

// Dispatching the scenario's 1,000 runs while the faults fire.

export interface DispatchStats {
  runIds: Map<number, string>;
  /** dispatch calls that failed and were retried (ledger or NATS away) */
  retries: number;
  dispositions: Record<string, number>;
  /** what the failed calls said, with how often (a refusal must say why) */
  errors: Record<string, number>;
  startedAt: number;
  finishedAt: number;
}

/**
 * Dispatches one fetch run per target (1,000 distinct identities), a few at a
 * time, each retried until the ledger answers: a retry of an identity whose
 * run was created but whose job was not published gets `active` back — that
 * run waits for housekeeping to publish its job again.
 */
export async function dispatchAll(stack: ChaosStack, ratePerSecond = DISPATCH_RATE, concurrency = 8): Promise<DispatchStats> {
  const stats: DispatchStats = { runIds: new Map(), retries: 0, dispositions: {}, errors: {}, startedAt: Date.now(), finishedAt: 0 };
  let next = 0;
  const one = async (i: number) => {
    // paced: dispatch goes on while the faults fire (a burst would be over before the first one)
    const due = stats.startedAt + (i * 1000) / ratePerSecond;
    if (due > Date.now()) await sleep(due - Date.now());
    const t = stack.targets[i]!;
    const deadline = Date.now() + 180_000;
    for (;;) {
      try {
        const result = await dispatch(stack.ledgerClient, {
          workspace_id: stack.workspaceId,
          tenant_id: t.tenantId,
          type: 'assignments.fetch',
          inputs: { policy_ids: [t.policyId] },
          initiator: { name: 'chaos' },
        });
        stats.runIds.set(i, result.run.id);
        stats.dispositions[result.disposition] = (stats.dispositions[result.disposition] ?? 0) + 1;
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        stats.retries += 1;
        // run ids folded, so the same refusal is counted once
        const said = (err instanceof Error ? err.message : String(err))
          .replace(/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}/g, '<run>')
          .slice(0, 160);
        stats.errors[said] = (stats.errors[said] ?? 0) + 1;
        await sleep(250);
      }
    }
  };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < stack.targets.length) await one(next++);
    }),
  );
  stats.finishedAt = Date.now();
  return stats;
}
