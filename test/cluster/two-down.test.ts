import { sleep } from '@ops/test-support';
import { describe, expect, it } from 'vitest';
import { scenarioSeed } from '../chaos/random.ts';
import { runScenario } from '../chaos/scenario.ts';
import { RUNS } from '../chaos/stack.ts';
import { clusterOf } from './faults.ts';

/**
 * Cluster 5 (issue #19): two of the three nodes down at once (kill -9)
 * mid-load: no stream has a quorum, so every write is refused — dispatch
 * fails with a clear error and is retried, workers fence themselves — and
 * nothing is lost: once both return, every run completes, once.
 */
describe('cluster: two nodes down, then back', () => {
  it(`${RUNS} runs on 3 nodes (R3): writes refused with clear errors, then all completed, nothing lost or doubled`, async () => {
    const { figures, verdict } = await runScenario({
      scenario: 'cluster-two-down',
      cluster: true,
      seed: scenarioSeed(0x2d0e),
      faults: 1,
      dispatchRate: 15,
      async inject(stack, _i, random) {
        const nodes = clusterOf(stack).nodes;
        const keep = Math.floor(random() * nodes.length);
        const down = nodes.filter((_, i) => i !== keep);
        await Promise.all(down.map((n) => n.kill()));
        const downMs = 15_000 + Math.floor(random() * 5_000);
        await sleep(downMs);
        await Promise.all(down.map((n) => n.start()));
        const leader = await clusterOf(stack).waitForMetaLeader(60_000);
        return `kill -9 ${down.map((n) => n.name).join(' and ')} (${nodes[keep]!.name} alone), both back after ${downMs} ms; meta leader ${leader.name}`;
      },
    });
    process.stdout.write(`cluster-two-down: dispatch errors ${JSON.stringify(figures.dispatch_errors)}\n`);
    expect(verdict.problems).toEqual([]);
    expect(figures.runs).toBe(RUNS);
    // the refusals happened, and the ledger said why: the run exists, its job could not be stored
    // (not only the caller's own timeout)
    expect(figures.dispatch_retries).toBeGreaterThan(0);
    const refusals = Object.keys(figures.dispatch_errors).filter((said) => /was created but the ledger could not store its job/.test(said));
    expect(refusals.length, JSON.stringify(figures.dispatch_errors)).toBeGreaterThan(0);
  }, 900_000);
});
