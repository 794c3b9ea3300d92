import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '@ops/test-support';
import type { DispatchStats } from './dispatch.ts';
import type { ChaosStack } from './stack.ts';
import type { Verdict } from './verify.ts';

// A scenario's figures: computed from the verdict, printed, and kept in .ci-out/ for the docs.

export interface Figures {
  scenario: string;
  seed: number;
  runs: number;
  faults: string[];
  kills_or_restarts: number;
  seconds_to_all_terminal: number;
  dispatch_retries: number;
  /** what the failed dispatch calls said, with how often */
  dispatch_errors: Record<string, number>;
  /** cluster stacks: leader elections (meta, stream, consumer) after the stack was up */
  leader_elections?: number;
  dispatch_seconds: number;
  outcomes: Record<string, number>;
  healed_by_housekeeping: number;
  healed_runs_closed: number;
  redeliveries: number;
  runs_with_more_than_one_attempt: number;
  max_attempt: number;
  duplicate_jobs_acknowledged: number;
  stale_lease_takeovers: number;
  ledger_events: number;
  dead_letters: number;
  orphan_jobs_left_by_nats: number;
  wall_seconds: number;
}

export function figuresOf(
  stack: ChaosStack,
  seed: number,
  faults: string[],
  dispatched: DispatchStats,
  verdict: Verdict,
  allTerminalAt: number,
  wallStart: number,
  electionsAtStart: number,
): Figures {
  return {
    scenario: stack.scenario,
    seed,
    runs: verdict.runs.length,
    faults,
    kills_or_restarts: faults.length,
    seconds_to_all_terminal: round1((allTerminalAt - dispatched.startedAt) / 1000),
    dispatch_retries: dispatched.retries,
    dispatch_errors: dispatched.errors,
    ...(stack.cluster ? { leader_elections: stack.cluster.leaderElections() - electionsAtStart } : {}),
    dispatch_seconds: round1((dispatched.finishedAt - dispatched.startedAt) / 1000),
    outcomes: verdict.outcomes,
    healed_by_housekeeping: verdict.healedByHousekeeping,
    healed_runs_closed: verdict.healedRunsClosed,
    redeliveries: verdict.redeliveries,
    runs_with_more_than_one_attempt: verdict.runsWithRetries,
    max_attempt: verdict.maxAttempt,
    duplicate_jobs_acknowledged: verdict.duplicates,
    stale_lease_takeovers: verdict.takeovers,
    ledger_events: verdict.ledgerEvents,
    dead_letters: verdict.deadLetters,
    orphan_jobs_left_by_nats: verdict.orphanJobs,
    wall_seconds: round1((Date.now() - wallStart) / 1000),
  };
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Prints the figures and writes them to .ci-out/chaos-<scenario>.json when that directory exists. */
export function publishFigures(figures: Figures): void {
  const text = JSON.stringify(figures, null, 2);
  process.stdout.write(`chaos figures ${figures.scenario}:\n${text}\n`);
  const dir = join(ROOT, '.ci-out');
  if (existsSync(dir)) writeFileSync(join(dir, `chaos-${figures.scenario}.json`), `${text}\n`);
}
