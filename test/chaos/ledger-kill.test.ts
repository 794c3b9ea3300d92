import { sleep } from '@ops/test-support';
import { describe, expect, it } from 'vitest';
import { scenarioSeed } from './random.ts';
import { runScenario } from './scenario.ts';
import { kill9, RUNS } from './stack.ts';

/**
 * Chaos 2 (issue #6 item 4): kill -9 of the ledger-service (the only writer
 * of the ledger) mid-load, restarted after a random pause. Dispatches fail
 * and are retried, workers' ledger calls fail and are retried in place,
 * events wait in OPS_LEDGER: every run still ends completed, and the rows
 * match the stream. Workers hold their jobs while get_run fails (no delivery
 * is spent on the outage: docs/reliability.md, finding 1).
 */
describe('chaos: kill -9 of the ledger-service mid-load', () => {
  it(`${RUNS} runs: all completed, counters = ground truth, no overlap, no event lost`, async () => {
    const { figures, verdict } = await runScenario({
      scenario: 'ledger-kill',
      seed: scenarioSeed(0x1ed6e7),
      faults: 3,
      async inject(stack, _i, random) {
        const pid = stack.ledger.child.pid;
        await kill9(stack.ledger);
        const downMs = 500 + Math.floor(random() * 2500);
        await sleep(downMs);
        await stack.startLedger();
        return `kill -9 ledger-service (pid ${pid}), restarted after ${downMs} ms`;
      },
    });
    expect(verdict.problems).toEqual([]);
    expect(figures.runs).toBe(RUNS);
    expect(figures.kills_or_restarts).toBe(3);
  }, 600_000);
});
