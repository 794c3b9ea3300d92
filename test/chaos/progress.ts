import { jetstreamManager } from '@nats-io/jetstream';
import { sleep } from '@ops/test-support';
import type { ChaosStack } from './stack.ts';

// Progress: the completed count the fault points wait for, and the 5-second monitor line.

/** completed fetch runs (for progress-based fault points and the all-terminal wait) */
export async function completedCount(stack: ChaosStack): Promise<number> {
  const [row] = await stack.sql<{ n: string }>(
    `SELECT count(*) AS n FROM operation_runs WHERE type = 'assignments.fetch' AND status = 'completed'`,
  );
  return Number(row?.n ?? 0);
}

/** Resolves once `count` fetch runs are completed, polling every 100 ms (PostgreSQL may be away meanwhile). */
export async function waitCompletedAtLeast(stack: ChaosStack, count: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let n = -1;
    try {
      n = await completedCount(stack);
    } catch {
      // the database is restarting
    }
    if (n >= count) return n;
    if (Date.now() > deadline) throw new Error(`only ${n} of ${count} runs completed within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Every 5 s: completed runs, jobs waiting in OPS_JOBS, events the ledger has not applied yet. */
export function startMonitor(stack: ChaosStack, scenario: string): NodeJS.Timeout {
  const started = Date.now();
  return setInterval(() => {
    void (async () => {
      const done = await completedCount(stack).catch(() => -1);
      const jsm = await jetstreamManager(stack.nc).catch(() => null);
      const jobs = await jsm?.streams.info(stack.names.streams.jobs).catch(() => null);
      const ledger = await jsm?.consumers.info(stack.names.streams.ledger, stack.names.consumers.ledgerEvents).catch(() => null);
      process.stdout.write(
        `chaos ${scenario}: t+${Math.round((Date.now() - started) / 1000)}s completed ${done} jobs-in-stream ${jobs?.state.messages ?? '?'} ledger-pending ${ledger ? ledger.num_pending + ledger.num_ack_pending : '?'}\n`,
      );
    })();
  }, 5_000);
}
