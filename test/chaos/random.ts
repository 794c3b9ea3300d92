/** Seeded randomness: a scenario's fault points and pauses are drawn from it, so a run can be replayed. */

/**
 * mulberry32: the scenario's fault points come from this seeded PRNG (printed, so a run can be replayed).
 * The fake Graph draws its random faults from the same generator (private to its faults.ts).
 */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** CHAOS_SEED overrides the scenario's default seed. */
export function scenarioSeed(fallback: number): number {
  const fromEnv = Number(process.env['CHAOS_SEED']);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : fallback;
}
