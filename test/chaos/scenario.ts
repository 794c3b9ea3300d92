import { prng } from '@ops/test-support';
import { dispatchAll } from './dispatch.ts';
import { type Figures, figuresOf, publishFigures } from './figures.ts';
import { dumpLogs, explainStuck } from './logs.ts';
import { startMonitor, waitCompletedAtLeast } from './progress.ts';
import { type ChaosStack, RUNS, startChaosStack } from './stack.ts';
import { settleAndVerify, type Verdict } from './verify.ts';

// One chaos scenario: the stack, the dispatch, the faults injected at seeded points, the verdict.

export interface ScenarioOptions {
  readonly scenario: string;
  readonly seed: number;
  /** how many faults; each fires once the completed count passes a PRNG-drawn point */
  readonly faults: number;
  /** the fault: returns what was done (for the figures); may use the PRNG */
  inject(stack: ChaosStack, index: number, random: () => number): Promise<string>;
  /** bound for all-terminal after the last dispatch */
  readonly settleTimeoutMs?: number;
  /** extra environment of the ledger-service (e.g. a short locks TTL) */
  readonly ledgerEnv?: Record<string, string>;
  /** on a 3-node NATS cluster (test/cluster) */
  readonly cluster?: boolean;
  /** dispatches per second (default DISPATCH_RATE): slower keeps the load going through a long fault */
  readonly dispatchRate?: number;
}

/**
 * One scenario end to end: start the stack, dispatch 1,000 runs while the
 * faults fire at seeded points of progress (a share of the runs completed,
 * between 5 % and 85 %), wait for all-terminal, verify, publish the figures.
 */
export async function runScenario(options: ScenarioOptions): Promise<{ figures: Figures; verdict: Verdict }> {
  const wallStart = Date.now();
  const random = prng(options.seed);
  const points = Array.from({ length: options.faults }, () => Math.floor(RUNS * (0.05 + random() * 0.8))).sort((a, b) => a - b);
  process.stdout.write(
    `chaos ${options.scenario}: seed ${options.seed} (CHAOS_SEED=${options.seed} replays it), fault points at ${points.join(', ')} completed runs\n`,
  );
  const stack = await startChaosStack(options.scenario, {
    ...(options.ledgerEnv ? { ledgerEnv: options.ledgerEnv } : {}),
    cluster: options.cluster === true,
  });
  const electionsAtStart = stack.cluster?.leaderElections() ?? 0;
  try {
    const faults: string[] = [];
    let faultError: unknown;
    const dispatching = dispatchAll(stack, options.dispatchRate);
    const injecting = (async () => {
      for (let i = 0; i < points.length; i += 1) {
        await waitCompletedAtLeast(stack, points[i]!, 240_000);
        const what = await options.inject(stack, i, random);
        faults.push(`at ${points[i]} completed: ${what}`);
        process.stdout.write(`chaos ${options.scenario}: ${what}\n`);
      }
    })().catch((err: unknown) => {
      faultError = err;
    });
    const monitor = startMonitor(stack, options.scenario);
    const dispatched = await dispatching;
    await injecting;
    if (faultError) throw faultError;
    const { verdict, allTerminalAt } = await settleAndVerify(stack, dispatched, options.settleTimeoutMs ?? 180_000).finally(() =>
      clearInterval(monitor),
    );
    const figures = figuresOf(stack, options.seed, faults, dispatched, verdict, allTerminalAt, wallStart, electionsAtStart);
    publishFigures(figures);
    dumpLogs(stack);
    if (verdict.problems.length > 0)
      process.stdout.write(
        `chaos ${options.scenario}: ${verdict.problems.length} problem(s):\n${verdict.problems.slice(0, 50).join('\n')}\n`,
      );
    return { figures, verdict };
  } catch (err) {
    dumpLogs(stack);
    await explainStuck(stack).catch((e: unknown) => process.stderr.write(`(could not explain: ${String(e)})\n`));
    const tail = stack.processes.flatMap((p) => p.output().split('\n').slice(-15));
    process.stderr.write(`--- chaos ${options.scenario}: service logs (tail) ---\n${tail.join('\n')}\n`);
    throw err;
  } finally {
    await stack.close();
  }
}
