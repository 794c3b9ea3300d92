import { describe, expect, it } from 'vitest';
import { scenarioSeed } from './random.ts';
import { runScenario } from './scenario.ts';
import { RUNS } from './stack.ts';

/**
 * Chaos 3 (issue #6 item 4): SIGKILL of the nats-server mid-load, started
 * again on the same port and store dir (JetStream recovers its file store).
 * Every client reconnects; no job, event or lease decision is lost.
 */
describe('chaos: nats-server killed and restarted mid-load', () => {
  it(`${RUNS} runs: all completed, counters = ground truth, no overlap, no event lost`, async () => {
    const { figures, verdict } = await runScenario({
      scenario: 'nats-restart',
      seed: scenarioSeed(0x4a75),
      faults: 2,
      async inject(stack) {
        const started = Date.now();
        await stack.nats!.restart({ kill: true });
        return `SIGKILL nats-server, restarted on port ${stack.nats!.port} with the same store (${Date.now() - started} ms to ready)`;
      },
    });
    expect(verdict.problems).toEqual([]);
    expect(figures.runs).toBe(RUNS);
    expect(figures.kills_or_restarts).toBe(2);
  }, 600_000);
});
