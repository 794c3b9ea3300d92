/**
 * How long this process has seen each lease at the same revision, on its own
 * monotonic clock — the one clock housekeeping judges staleness on (never a
 * `heartbeat_at` another host wrote). Kept across ticks: a lease first seen
 * now counts as unchanged for 0 ms; at a later tick, if its revision is still
 * the same, for the time in between. A change of revision starts over. A
 * restarted replica starts empty (it needs two looks before it calls anything
 * stale: the safe direction).
 *
 * It also knows which leases an execution of this process holds right now:
 * a lease that names this process as owner but that no execution of it
 * holds was written by a write whose answer never came (a timeout while
 * JetStream lost its quorum, the write stored afterwards) — nobody acts on
 * it, so it need not be waited out (issue #19, cluster-two-down).
 */
export class LeaseObservations {
  readonly #seen = new Map<string, { revision: number; since: number }>();
  /** executions of this process holding (or writing) each lease */
  readonly #held = new Map<string, number>();
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

  /** an execution of this process writes or holds the lease (until it releases it) */
  hold(key: string): void {
    this.#held.set(key, (this.#held.get(key) ?? 0) + 1);
  }

  release(key: string): void {
    const n = (this.#held.get(key) ?? 0) - 1;
    if (n > 0) this.#held.set(key, n);
    else this.#held.delete(key);
  }

  holds(key: string): boolean {
    return this.#held.has(key);
  }
}
