/**
 * How long this process has seen each lease at the same revision, on its own
 * monotonic clock — the one clock housekeeping judges staleness on (never a
 * `heartbeat_at` another host wrote). Kept across ticks: a lease first seen
 * now counts as unchanged for 0 ms; at a later tick, if its revision is still
 * the same, for the time in between. A change of revision starts over. A
 * restarted replica starts empty (it needs two looks before it calls anything
 * stale: the safe direction).
 */
export class LeaseObservations {
  readonly #seen = new Map<string, { revision: number; since: number }>();
  readonly #clock: () => number;
  readonly #maxEntries: number;

  constructor(clock: () => number = () => performance.now(), maxEntries = 50_000) {
    this.#clock = clock;
    this.#maxEntries = maxEntries;
  }

  /** milliseconds this key has been seen at `revision` without a change (0 on first sight or after a change) */
  unchangedFor(key: string, revision: number): number {
    const now = this.#clock();
    const seen = this.#seen.get(key);
    if (seen?.revision === revision) return now - seen.since;
    this.#seen.delete(key);
    this.#seen.set(key, { revision, since: now });
    // oldest first: a bounded memory of leases nobody asks about any more
    if (this.#seen.size > this.#maxEntries) this.#seen.delete(this.#seen.keys().next().value as string);
    return 0;
  }

  forget(key: string): void {
    this.#seen.delete(key);
  }
}
