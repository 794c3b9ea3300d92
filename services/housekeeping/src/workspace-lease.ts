import type { KV } from '@nats-io/kv';
import type { WorkspaceLeaseV1 } from '@ops/contracts';
import type { Logger } from '@ops/logging';
import { createLease, readLease, updateLease } from '@ops/nats';
import { chooseLease } from './domain/lease.ts';
import type { LeaseObservations } from './domain/observations.ts';

/** Thrown once the execution may no longer act: its workspace lease was written by another replica, or its fence expired. */
export class WorkspaceLeaseLostError extends Error {
  override readonly name = 'WorkspaceLeaseLostError';
}

/**
 * A held workspace lease: one reconcile execution per workspace at a time
 * (T033). It is renewed while the execution runs — every quarter of the
 * stale time, a CAS write (a new revision: what other replicas watch) — and
 * fenced like a worker's run lease: the execution stops acting half a stale
 * time after its last successful write was sent, on this process's
 * monotonic clock, and `signal` aborts what it is doing.
 */
export class WorkspaceLeaseHolder {
  readonly #kv: KV;
  readonly #key: string;
  readonly #fenceMs: number;
  #value: WorkspaceLeaseV1;
  #revision: number;
  #lastSentOk: number;
  #lost: string | null = null;
  readonly #abort = new AbortController();
  readonly #renewals: NodeJS.Timeout;
  #tail: Promise<void> = Promise.resolve();

  readonly #release: () => void;
  #stopped = false;

  constructor(
    kv: KV,
    key: string,
    value: WorkspaceLeaseV1,
    revision: number,
    staleMs: number,
    sentAt: number,
    log: Logger,
    /** told once, when the execution ends (stop) */
    release: () => void = () => undefined,
  ) {
    this.#release = release;
    this.#kv = kv;
    this.#key = key;
    this.#value = value;
    this.#revision = revision;
    this.#lastSentOk = sentAt;
    this.#fenceMs = Math.floor(staleMs / 2);
    this.#renewals = setInterval(
      () => {
        if (this.lost) return;
        this.write({ heartbeat_at: new Date().toISOString() }).catch((err: unknown) => log.warn({ err }, 'workspace lease renewal failed'));
      },
      Math.max(50, Math.floor(staleMs / 4)),
    );
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get revision(): number {
    return this.#revision;
  }

  get lost(): boolean {
    if (this.#lost === null && performance.now() - this.#lastSentOk >= this.#fenceMs) this.#lose('fence expired');
    return this.#lost !== null;
  }

  assertHeld(): void {
    if (this.lost) throw new WorkspaceLeaseLostError(`workspace lease ${this.#key} lost (${this.#lost})`);
  }

  /** a CAS write at the revision held, one at a time (a renewal and the final write never fail each other) */
  write(patch: Partial<WorkspaceLeaseV1>): Promise<void> {
    const next = this.#tail.then(async () => {
      this.assertHeld();
      const value = { ...this.#value, ...patch };
      const sent = performance.now();
      const revision = await updateLease(this.#kv, this.#key, value, this.#revision);
      if (revision === null) {
        this.#lose('written by another execution');
        this.assertHeld();
        return;
      }
      this.#revision = revision;
      this.#value = value;
      this.#lastSentOk = sent;
    });
    this.#tail = next.catch(() => undefined);
    return next;
  }

  /** stop renewing (the execution ended) */
  stop(): void {
    clearInterval(this.#renewals);
    // once: stop() may be called again by a caller's finally
    if (this.#stopped) return;
    this.#stopped = true;
    this.#release();
  }

  #lose(reason: string): void {
    if (this.#lost !== null) return;
    this.#lost = reason;
    clearInterval(this.#renewals);
    this.#abort.abort(new WorkspaceLeaseLostError(`workspace lease ${this.#key} lost (${reason})`));
  }
}

/**
 * Takes the workspace's lease for this tick, or says who holds it. A running
 * lease of another tick is taken only once this replica has watched it stay
 * at the same revision for longer than the stale time (across its own ticks).
 */
export async function takeWorkspaceLease(input: {
  kv: KV;
  key: string;
  value: WorkspaceLeaseV1;
  tick: string;
  staleMs: number;
  observations: LeaseObservations;
  log: Logger;
}): Promise<{ holder: WorkspaceLeaseHolder; previous: WorkspaceLeaseV1 | null } | { runId: string | null }> {
  const { kv, key, value, tick, staleMs, observations, log } = input;
  for (let round = 0; round < 3; round += 1) {
    const read = await readLease(kv, key);
    const existing =
      read.status === 'absent'
        ? null
        : {
            value: read.status === 'present' && read.value.kind === 'workspace' ? read.value : null,
            revision: read.revision,
            unchangedForMs: observations.unchangedFor(key, read.revision),
            ownAbandoned: read.status === 'present' && read.value.owner === value.owner && !observations.holds(key),
          };
    const choice = chooseLease(existing, tick, staleMs);
    if (choice.kind === 'stand_down') return { runId: choice.runId };
    const sent = performance.now();
    // held while the write is out: another execution of this process must not call it abandoned meanwhile
    observations.hold(key);
    let revision: number | null;
    try {
      revision = choice.kind === 'create' ? await createLease(kv, key, value) : await updateLease(kv, key, value, choice.revision);
    } catch (err) {
      // no answer: the write may still be stored — as a lease of this process nobody holds
      observations.release(key);
      throw err;
    }
    // null: another replica wrote first — look again
    if (revision !== null) {
      observations.forget(key);
      const holder = new WorkspaceLeaseHolder(kv, key, value, revision, staleMs, sent, log, () => observations.release(key));
      return { holder, previous: existing?.value ?? null };
    }
    observations.release(key);
  }
  return { runId: null };
}
