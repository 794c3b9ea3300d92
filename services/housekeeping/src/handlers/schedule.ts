import type { LedgerClient } from '@ops/ledger-client';
import type { Logger } from '@ops/logging';
import { Cron } from 'croner';
import type { ReconcileDeps } from '../deps.ts';
import { reconcileWorkspace } from '../reconcile.ts';

export interface Schedule {
  stop(): Promise<void>;
}

/**
 * On every cron tick, ops.reconcile_adapter_runs for every workspace, one
 * after the other. `protect` skips a tick while the previous one still runs
 * in this process; the workspace lease keeps other replicas out. The tick's
 * scheduled instant (to the second) names the execution across replicas.
 */
export function startSchedule(deps: ReconcileDeps & { ledger: LedgerClient; logger: Logger }, pattern: string): Schedule {
  let running: Promise<void> = Promise.resolve();
  const job = new Cron(pattern, { protect: true }, async (self: Cron) => {
    const scheduled = self.currentRun() ?? new Date();
    const tick = new Date(Math.floor(scheduled.getTime() / 1000) * 1000).toISOString();
    running = (async () => {
      let workspaces: Awaited<ReturnType<LedgerClient['listWorkspaces']>>;
      try {
        workspaces = await deps.ledger.listWorkspaces();
      } catch (err) {
        deps.logger.error({ err, tick }, 'reconcile tick skipped: the ledger did not list the workspaces');
        return;
      }
      for (const ws of workspaces) {
        try {
          await reconcileWorkspace(deps, ws.id, tick);
        } catch (err) {
          deps.logger.error({ err, workspaceId: ws.id, tick }, 'reconcile could not run for a workspace');
        }
      }
    })();
    await running;
  });
  deps.logger.info({ pattern, next: job.nextRun()?.toISOString() }, 'reconcile scheduled');
  return {
    async stop() {
      job.stop();
      await running;
    },
  };
}
