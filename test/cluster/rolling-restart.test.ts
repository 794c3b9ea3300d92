import { describe, expect, it } from 'vitest';
import { scenarioSeed } from '../chaos/random.ts';
import { runScenario } from '../chaos/scenario.ts';
import { RUNS } from '../chaos/stack.ts';
import { clusterOf, untilHealthy } from './faults.ts';

/**
 * Cluster 2 (issue #19): a rolling restart mid-load, as a StatefulSet
 * rollout does it — highest ordinal first, SIGTERM, start again on the same
 * store, and the next node only once this one's /healthz (the readiness
 * probe of deploy/nats/statefulset.yaml) says ok.
 */
describe('cluster: a rolling restart of all three nodes', () => {
  it(`${RUNS} runs on 3 nodes (R3): all completed, counters = ground truth, no overlap, no event lost`, async () => {
    const { figures, verdict } = await runScenario({
      scenario: 'cluster-rolling-restart',
      cluster: true,
      seed: scenarioSeed(0x2011),
      faults: 1,
      dispatchRate: 20,
      async inject(stack) {
        const steps: string[] = [];
        for (const node of [...clusterOf(stack).nodes].reverse()) {
          const started = Date.now();
          await node.stop();
          await node.start();
          const readyMs = await untilHealthy(node, `${node.name} /healthz ok after its restart`, 120_000);
          steps.push(`${node.name} ${Date.now() - started} ms (ready ${readyMs} ms after start)`);
        }
        return `rolling restart (SIGTERM, start, /healthz ok): ${steps.join('; ')}`;
      },
    });
    expect(verdict.problems).toEqual([]);
    expect(figures.runs).toBe(RUNS);
    expect(figures.kills_or_restarts).toBe(1);
  }, 900_000);
});
