import type { LeaseResult, RunLeaseV1 } from '@ops/contracts';
import { LeaseLostError, type Leases } from './leases.ts';

/** what aborts a holder's leftovers once its execution ended normally: built once */
const HOLDER_DONE = new LeaseLostError('the lease holder is done: its execution ended');

export interface HolderTiming {
  /** the holder stops this long after the last renewal that succeeded was SENT (fence + renewTimeout < stale) */
  readonly fenceMs: number;
  /** a renewal not answered within this long counts as failed (its write may still land: that only delays observers) */
  readonly renewTimeoutMs: number;
}

/**
 * A held lease: renews it by CAS and fences itself. The fence runs on this
 * process's monotonic clock from the moment the last successful write was
 * SENT — the server may have stored it any time after that, so an observer
 * that judges the lease stale (the same revision for the stale time, on its
 * own clock) can only do so after the fence expired here. The holder is lost
 * when a CAS fails (someone else wrote the lease), when the fence expires
 * (frozen, cut off, or renewals failing), or once it gave the lease back;
 * `signal` then aborts the in-flight work (Graph calls, database writes) and
 * `assertHeld()` throws before anything further is sent.
 */
export class LeaseHolder {
  readonly key: string;
  #value: RunLeaseV1;
  #revision: number;
  /** monotonic ms when the last successful write was sent */
  #lastSentOk: number;
  #lostReason: string | null = null;
  #completed = false;
  readonly #abort = new AbortController();
  #fenceTimer: NodeJS.Timeout | undefined;
  /** CAS writes run one after another (see #serial) */
  #tail: Promise<void> = Promise.resolve();
  #queued = 0;
  readonly #leases: Leases;
  readonly #timing: HolderTiming;
  readonly #clock: () => number;

  /** `sentAt`: the monotonic time the write that acquired the lease was sent */
  constructor(
    leases: Leases,
    key: string,
    value: RunLeaseV1,
    revision: number,
    timing: HolderTiming,
    sentAt: number,
    clock = () => performance.now(),
  ) {
    this.#leases = leases;
    this.key = key;
    this.#value = value;
    this.#revision = revision;
    this.#timing = timing;
    this.#clock = clock;
    this.#lastSentOk = sentAt;
    this.#armFence();
  }

  get attempt(): number {
    return this.#value.attempt;
  }

  /** aborted when the lease is lost or given back: pass it to every Graph call and database write */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get lost(): boolean {
    if (this.#lostReason === null && this.#clock() - this.#lastSentOk >= this.#timing.fenceMs) this.#lose('fence expired');
    return this.#lostReason !== null;
  }

  /** a write is in flight: a heartbeat tick skips instead of queueing behind it */
  get busy(): boolean {
    return this.#queued > 0;
  }

  assertHeld(): void {
    if (this.lost) throw new LeaseLostError(`lease ${this.key} lost (${this.#lostReason})`);
  }

  /** heartbeat: a CAS rewrite (a new revision is what observers watch; heartbeat_at is for operators) */
  async renew(now: Date): Promise<void> {
    await this.#write({ ...this.#value, heartbeat_at: now.toISOString() });
  }

  /**
   * The completion marker: `completed` with what the completed event will say,
   * written at our revision (restarts the bucket TTL) BEFORE that event is
   * published — the last fence before the irreversible publish, and the
   * record a redelivery or housekeeping publishes the event again from. It is
   * also the identity's cooldown marker. The holder is done.
   */
  async complete(now: Date, result: LeaseResult): Promise<void> {
    await this.#write({ ...this.#value, state: 'completed', heartbeat_at: now.toISOString(), completed_at: now.toISOString(), result });
    this.#completed = true;
    this.#end('completed');
  }

  /** its completion marker is written: the completed event it records may (and must) be published */
  get completed(): boolean {
    return this.#completed;
  }

  /**
   * Gives the run back for a retry after `retryAfterMs`: the lease says so
   * (`retrying`) and keeps the attempt number, so the next execution — from
   * any message of the run — takes attempt + 1 at once. The holder is done.
   */
  async retry(now: Date, retryAfterMs: number): Promise<void> {
    await this.#write({ ...this.#value, state: 'retrying', heartbeat_at: now.toISOString(), retry_after_ms: retryAfterMs });
    this.#end('given back for a retry');
  }

  /** stop the fence timer without a write (the execution ended on its own terms) */
  dispose(reason: string): void {
    this.#end(reason);
  }

  #write(value: RunLeaseV1): Promise<void> {
    return this.#serial(async () => {
      this.assertHeld();
      const sent = this.#clock();
      let timer: NodeJS.Timeout | undefined;
      try {
        const revision = await Promise.race([
          this.#leases.update(this.key, value, this.#revision),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`lease ${this.key}: no answer to the renewal within ${this.#timing.renewTimeoutMs} ms`)),
              this.#timing.renewTimeoutMs,
            );
          }),
        ]);
        // the fence was declared over while the answer was on its way: this holder stopped for good
        if (this.#lostReason !== null) throw new LeaseLostError(`lease ${this.key} lost (${this.#lostReason})`);
        // the fence now runs from when THIS write was sent: an observer sees its revision no earlier
        this.#revision = revision;
        this.#value = value;
        this.#lastSentOk = sent;
        this.#armFence();
      } catch (err) {
        if (err instanceof LeaseLostError) this.#lose('written by someone else');
        throw err;
      } finally {
        clearTimeout(timer);
      }
    });
  }

  #armFence(): void {
    clearTimeout(this.#fenceTimer);
    if (this.#lostReason !== null) return;
    const left = this.#lastSentOk + this.#timing.fenceMs - this.#clock();
    this.#fenceTimer = setTimeout(() => this.#lose('fence expired'), Math.max(0, left));
  }

  #lose(reason: string, abortReason?: LeaseLostError): void {
    if (this.#lostReason !== null) return;
    this.#lostReason = reason;
    clearTimeout(this.#fenceTimer);
    this.#abort.abort(abortReason ?? new LeaseLostError(`lease ${this.key} lost (${reason})`));
  }

  /** the execution ended on its own terms: stop as when lost, with a shared reason (no Error built per run, issue #18) */
  #end(reason: string): void {
    this.#lose(reason, HOLDER_DONE);
  }

  /**
   * One lease operation at a time, each at the revision the previous one
   * left. Two writes from the same holder at the same revision (a heartbeat
   * still in flight when the final renewal or the completed marker starts,
   * as on a loaded machine) would fail each other: the holder declared its
   * own lease lost and abandoned a finished attempt (docs/reliability.md,
   * finding 5).
   */
  #serial<T>(operation: () => Promise<T>): Promise<T> {
    this.#queued += 1;
    const result = this.#tail.then(operation).finally(() => {
      this.#queued -= 1;
    });
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
