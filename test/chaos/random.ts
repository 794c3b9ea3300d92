import { seedFrom } from '@ops/test-support';

/** CHAOS_SEED overrides the scenario's default seed. */
export function scenarioSeed(fallback: number): number {
  return seedFrom('CHAOS_SEED', fallback);
}
