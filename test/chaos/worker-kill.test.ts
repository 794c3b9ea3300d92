import { sleep } from '@ops/test-support';
import { describe, expect, it } from 'vitest';
import { scenarioSeed } from './random.ts';
import { runScenario } from './scenario.ts';
import { kill9, RUNS, WORKERS } from './stack.ts';

/**
 * Chaos 1 (issue #6 item 4): three workers, kill -9 of a random one at
 * seeded points of progress, restarted after a random pause. Every run ends
 * completed with the Graph's ground truth; no identity executes twice at once.
 */
describe('chaos: kill -9 of workers mid-load', () => {
  it(`${RUNS} runs: all completed, counters = ground truth, no overlap, no event lost`, async () => {
    const { figures, verdict } = await runScenario({
      scenario: 'worker-kill',
      seed: scenarioSeed(0xc4a05),
      faults: 6,
      async inject(stack, _i, random) {
        const index = Math.floor(random() * WORKERS);
        const victim = stack.workers[index]!;
        const pid = victim.child.pid;
        await kill9(victim);
        const downMs = 200 + Math.floor(random() * 1800);
        await sleep(downMs);
        await stack.startWorker(index);
        return `kill -9 worker ${index} (pid ${pid}), restarted after ${downMs} ms`;
      },
    });
    expect(verdict.problems).toEqual([]);
    expect(figures.runs).toBe(RUNS);
    expect(figures.kills_or_restarts).toBe(6);
  }, 600_000);
});
