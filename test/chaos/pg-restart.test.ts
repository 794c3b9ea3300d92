import { describe, expect, it } from 'vitest';
import { scenarioSeed } from './random.ts';
import { runScenario } from './scenario.ts';
import { RUNS } from './stack.ts';

/**
 * Chaos 4 (issue #6 item 4): PostgreSQL crashes mid-load — an immediate stop
 * (SIGQUIT, what `pg_ctl stop -m immediate` sends) and a SIGKILL of the
 * postmaster — and starts again on the same data dir and port after a
 * random pause (crash recovery). The ledger's batches and the workers'
 * snapshot writes fail meanwhile and are retried.
 */
describe('chaos: PostgreSQL crashed and restarted mid-load', () => {
  it(`${RUNS} runs: all completed, counters = ground truth, no overlap, no event lost`, async () => {
    const { figures, verdict } = await runScenario({
      scenario: 'pg-restart',
      seed: scenarioSeed(0x9057),
      faults: 2,
      async inject(stack, i, random) {
        const mode = i % 2 === 0 ? 'immediate' : 'kill';
        const downMs = 500 + Math.floor(random() * 2500);
        const pid = stack.pg.pid();
        await stack.pg.restart({ mode, downMs });
        return `${mode === 'immediate' ? 'immediate stop (SIGQUIT)' : 'SIGKILL'} of the postmaster (pid ${pid}), down ${downMs} ms, restarted on port ${stack.pg.port}`;
      },
    });
    expect(verdict.problems).toEqual([]);
    expect(figures.runs).toBe(RUNS);
    expect(figures.kills_or_restarts).toBe(2);
  }, 600_000);
});
