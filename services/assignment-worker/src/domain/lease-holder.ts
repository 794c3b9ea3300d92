import type { RunLeaseV1 } from '@ops/contracts';
import { LeaseLostError, type Leases } from './leases.ts';

/**
 * A held lease: renews it by CAS and fences itself. If a renewal fails with
 * a revision mismatch, or no renewal succeeded for longer than the stale
 * threshold minus a margin (a paused or partitioned process), the holder
 * must assume another worker took over: `assertHeld()` then throws and the
 * execution stops before touching Graph or publishing anything more.
 */
export class LeaseHolder {
  readonly key: string;
  #value: RunLeaseV1;
  #revision: number;
  #lastRenewedAt: number;
  #lost = false;
  /** CAS writes and the release run one after another (see #serial) */
  #tail: Promise<void> = Promise.resolve();
  #queued = 0;
  readonly #leases: Leases;
  readonly #fenceMs: number;

  constructor(leases: Leases, key: string, value: RunLeaseV1, revision: number, staleMs: number) {
    this.#leases = leases;
    this.key = key;
    this.#value = value;
    this.#revision = revision;
    this.#lastRenewedAt = Date.now();
    // stop well before a peer may consider the lease stale
    this.#fenceMs = Math.floor(staleMs * 0.75);
  }

  get lost(): boolean {
    return this.#lost || Date.now() - this.#lastRenewedAt > this.#fenceMs;
  }

  /** a write is in flight: a heartbeat tick skips instead of queueing behind it */
  get busy(): boolean {
    return this.#queued > 0;
  }

  assertHeld(): void {
    if (this.lost) throw new LeaseLostError(`lease ${this.key} lost`);
  }

  /** heartbeat: CAS-rewrite with a fresh heartbeat_at */
  async renew(now: Date): Promise<void> {
    await this.#write({ ...this.#value, heartbeat_at: now.toISOString() });
  }

  /** the cooldown marker: completed, written at our revision (restarts the bucket TTL) */
  async complete(now: Date): Promise<void> {
    await this.#write({ ...this.#value, state: 'completed', heartbeat_at: now.toISOString(), completed_at: now.toISOString() });
  }

  /** give the lease up for another attempt (only if nobody else wrote it) */
  release(): Promise<boolean> {
    return this.#serial(async () => {
      if (this.#lost) return false;
      this.#lost = true;
      return this.#leases.release(this.key, this.#revision);
    });
  }

  #write(value: RunLeaseV1): Promise<void> {
    return this.#serial(async () => {
      this.assertHeld();
      try {
        this.#revision = await this.#leases.update(this.key, value, this.#revision);
        this.#value = value;
        this.#lastRenewedAt = Date.now();
      } catch (err) {
        if (err instanceof LeaseLostError) this.#lost = true;
        throw err;
      }
    });
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
