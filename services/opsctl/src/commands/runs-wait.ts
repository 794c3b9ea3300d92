import { setTimeout as sleep } from 'node:timers/promises';
import type { RunV1 } from '@ops/contracts';
import type { LedgerClient } from '@ops/ledger-client';
import { z } from 'zod';
import { intArg, uuidArg } from '../args.ts';
import { defineCommand } from '../cli.ts';
import { CliError } from '../errors.ts';
import { runDetails } from '../run-format.ts';

const POLL_MS = 250;

export const runsWait = defineCommand({
  path: ['runs', 'wait'],
  summary: 'wait until a run is completed, then print it (exit 1 on timeout)',
  usage: 'opsctl runs wait <run-id> --workspace <uuid> [--timeout <seconds 1-3600>] [--json]',
  help: 'Polls the ledger every 250 ms; --timeout defaults to 60 seconds.',
  options: { workspace: { type: 'string' }, timeout: { type: 'string' } },
  positionals: ['run-id'],
  schema: z.object({ 'run-id': uuidArg(), workspace: uuidArg(), timeout: intArg(1, 3600).default(60) }),
  async run(ctx, args) {
    const { ledger } = await ctx.nats();
    const run = await waitForRun(ledger, { workspace: args.workspace, runId: args['run-id'], timeoutSeconds: args.timeout });
    return { json: run, text: runDetails(run) };
  },
});

/**
 * Polls get_run until the run is completed. `deadline` (epoch ms) lets a
 * caller waiting for several runs (`opsctl demo`) share one --timeout.
 */
export async function waitForRun(
  ledger: LedgerClient,
  wait: { workspace: string; runId: string; timeoutSeconds: number; deadline?: number },
): Promise<RunV1> {
  const deadline = wait.deadline ?? Date.now() + wait.timeoutSeconds * 1000;
  for (;;) {
    const run: RunV1 = await ledger.getRun({ workspace_id: wait.workspace, run_id: wait.runId });
    if (run.status === 'completed') return run;
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new CliError(
        1,
        `run ${run.id} not completed after ${wait.timeoutSeconds} s (status ${run.status}) — wait longer with --timeout, or check the workers`,
      );
    }
    await sleep(Math.min(POLL_MS, left));
  }
}
