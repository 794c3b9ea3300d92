/**
 * Bounded admission of a micro service's requests: at most `maxInFlight`
 * handlers run at once, at most `maxQueued` wait, the rest are refused at
 * once (the ledger API: the database pool is the real limit, more in flight
 * only holds memory; housekeeping: on-demand reconciles).
 *
 * Why: a NATS micro service calls its handler for every request as it
 * arrives. Under an offered load above what PostgreSQL sustains (the
 * bench's 500 dispatches/s on 2 cores), unbounded handlers piled up by the
 * thousand and the ledger ran out of heap — every caller then saw "no
 * responders". Refusing the excess with a retryable `unavailable` keeps the
 * service up and the admitted requests fast (docs/performance.md).
 */
export interface Admission {
  /** runs `task` now or when a slot frees up; false (task not run) when the queue is full */
  offer(task: () => Promise<void>): boolean;
  readonly inFlight: number;
  readonly queued: number;
}

export function createAdmission(options: { maxInFlight: number; maxQueued: number }): Admission {
  let inFlight = 0;
  const queue: Array<() => Promise<void>> = [];
  const run = (task: () => Promise<void>): void => {
    inFlight += 1;
    void task()
      .catch(() => undefined) // tasks settle their own errors; a slot must never leak
      .finally(() => {
        inFlight -= 1;
        const next = queue.shift();
        if (next) run(next);
      });
  };
  return {
    offer(task) {
      if (inFlight < options.maxInFlight) {
        run(task);
        return true;
      }
      if (queue.length >= options.maxQueued) return false;
      queue.push(task);
      return true;
    },
    get inFlight() {
      return inFlight;
    },
    get queued() {
      return queue.length;
    },
  };
}
