import type { LeaseValue } from './lease.ts';
import { LeaseLostError, type Leases } from '../repositories/leases.ts';

/**
 * A held lease: renews it by CAS and fences itself. If a renewal fails with
 * a revision mismatch, or no renewal succeeded for longer than the stale
 * threshold minus a margin (a paused or partitioned process), the holder
 * must assume another worker took over: `assertHeld()` then throws and the
 * execution stops before touching Graph or publishing anything more.
 */
export class LeaseHolder {
  readonly key: string;
  #value: LeaseValue;
  #revision: number;
  #lastRenewedAt: number;
  #lost = false;
  readonly #leases: Leases;
  readonly #fenceMs: number;

  constructor(leases: Leases, key: string, value: LeaseValue, revision: number, staleMs: number) {
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
  async release(): Promise<boolean> {
    if (this.#lost) return false;
    this.#lost = true;
    return this.#leases.release(this.key, this.#revision);
  }

  async #write(value: LeaseValue): Promise<void> {
    this.assertHeld();
    try {
      this.#revision = await this.#leases.update(this.key, value, this.#revision);
      this.#value = value;
      this.#lastRenewedAt = Date.now();
    } catch (err) {
      if (err instanceof LeaseLostError) this.#lost = true;
      throw err;
    }
  }
}
