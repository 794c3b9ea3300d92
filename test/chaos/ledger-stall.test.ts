import { sleep } from '@ops/test-support';
import { describe, expect, it } from 'vitest';
import { scenarioSeed } from './random.ts';
import { runScenario } from './scenario.ts';
import { RUNS } from './stack.ts';

/**
 * Chaos 5 (issue #15): the ledger stops applying events mid-load — its role
 * loses UPDATE on operation_runs but for the columns ensure_run touches, so
 * its API keeps answering — for longer than the locks TTL (5 s here) and the
 * housekeeping grace (20 s): completions pile up in OPS_LEDGER unapplied,
 * their markers expire, runs look quiet. Housekeeping must heal nothing it
 * cannot judge, no run may execute twice, and once the ledger applies again
 * every final row equals the fake Graph's truth.
 */
describe('chaos: the ledger stalls applying events past the locks TTL, mid-load', () => {
  it(`${RUNS} runs: all completed, counters = ground truth, no overlap, no event lost`, async () => {
    const { figures, verdict } = await runScenario({
      scenario: 'ledger-stall',
      seed: scenarioSeed(0x57a11),
      faults: 1,
      ledgerEnv: { LOCKS_TTL_SECONDS: '5' },
      async inject(stack, _i, random) {
        const stallMs = 25_000 + Math.floor(random() * 5_000);
        await stack.sql('REVOKE UPDATE ON operation_runs FROM ops_ledger');
        await stack.sql('GRANT UPDATE (dedupe_hits, updated_at) ON operation_runs TO ops_ledger');
        await sleep(stallMs);
        await stack.sql('GRANT UPDATE ON operation_runs TO ops_ledger');
        return `event application stalled for ${stallMs} ms (UPDATE on operation_runs revoked from ops_ledger but for dedupe_hits, updated_at)`;
      },
    });
    expect(verdict.problems).toEqual([]);
    expect(figures.runs).toBe(RUNS);
  }, 600_000);
});
