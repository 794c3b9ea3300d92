/**
 * Seeded randomness for fault tests (chaos, fencing): a scenario's fault
 * points and pauses are drawn from it, and the seed is printed, so a run can
 * be replayed exactly. mulberry32; the fake Graph draws its random faults from
 * the same generator (a private copy in its faults.ts: a service imports no test code).
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

/** The seed of a run: the environment variable `envKey` when it holds a positive integer (a replay), else `fallback`. */
export function seedFrom(envKey: string, fallback: number): number {
  const fromEnv = Number(process.env[envKey]);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : fallback;
}
