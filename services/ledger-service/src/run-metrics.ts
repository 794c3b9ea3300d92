import type { LedgerEventV1 } from '@ops/contracts';
import type { LedgerMetrics } from './metrics.ts';
import type { AppliedChange } from './repositories/runs-repository.ts';

/**
 * The run metrics of one applied event, observed by the ledger's event
 * consumer after the write committed. Here, not in the worker: the ledger
 * sees every change of a run once, whatever replica or attempt sent it, a
 * redelivered event is a `duplicate` (never applied twice), and the row it
 * read carries created_at and started_at — no statement of its own.
 *
 * A heal (housekeeping's closure) counts as a completion with its failure
 * code (run.stale, run.lost) but says nothing about how long a run waited or
 * ran: its "start" and "completion" are the moment of the heal.
 */
export function observeAppliedEvent(metrics: LedgerMetrics, event: LedgerEventV1, change: AppliedChange): void {
  const heal = event.kind === 'completed' && event.heal === true;
  const { before, after, type } = change;
  if (!heal && before.started_at === null && after.started_at !== null) {
    metrics.queueWait.observe({ type }, seconds(change.createdAt, after.started_at));
  }
  if (event.kind !== 'completed') return;
  metrics.runsCompleted.inc({ type, outcome: event.outcome });
  for (const failure of event.failures) metrics.runFailures.inc({ type, code: failure.code });
  if (!heal && after.started_at !== null && after.completed_at !== null) {
    metrics.runDuration.observe({ type }, seconds(after.started_at, after.completed_at));
  }
}

/** writers' clocks differ: never a negative wait */
function seconds(from: Date, to: Date): number {
  return Math.max(0, (to.getTime() - from.getTime()) / 1000);
}
