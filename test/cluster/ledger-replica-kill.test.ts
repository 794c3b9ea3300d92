import { sleep } from '@ops/test-support';
import { describe, expect, it } from 'vitest';
import { scenarioSeed } from '../chaos/random.ts';
import { runScenario } from '../chaos/scenario.ts';
import { kill9, RUNS } from '../chaos/stack.ts';

/**
 * Cluster 3 (issue #19): one of the two ledger-service replicas killed with
 * -9 mid-load (the other keeps answering and applying), started again after
 * a pause; three times, a PRNG-drawn replica each time.
 */
describe('cluster: one ledger replica killed with -9', () => {
  it(`${RUNS} runs on 3 nodes (R3): all completed, counters = ground truth, no overlap, no event lost`, async () => {
    const { figures, verdict } = await runScenario({
      scenario: 'cluster-ledger-replica-kill',
      cluster: true,
      seed: scenarioSeed(0x1ed2),
      faults: 3,
      async inject(stack, _i, random) {
        const index = Math.floor(random() * stack.ledgers.length);
        const victim = stack.ledgers[index]!;
        const pid = victim.child.pid;
        await kill9(victim);
        const downMs = 1_000 + Math.floor(random() * 3_000);
        await sleep(downMs);
        await stack.startLedger(index);
        return `kill -9 ledger replica ${index} (pid ${pid}), restarted after ${downMs} ms`;
      },
    });
    expect(verdict.problems).toEqual([]);
    expect(figures.runs).toBe(RUNS);
    expect(figures.kills_or_restarts).toBe(3);
  }, 900_000);
});
