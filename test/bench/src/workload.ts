/** Workload shapes and the producer/latency bookkeeping shared by every system. */

export type SystemName = 'ops' | 'pg-boss' | 'bullmq';
export type WorkloadName = 'W1' | 'W2';
export const SYSTEMS: readonly SystemName[] = ['ops', 'pg-boss', 'bullmq'];

export interface WorkloadSpec {
  readonly name: WorkloadName;
  readonly dispatches: number;
  readonly identities: number;
  readonly producers: number;
}

export function workloadSpec(name: WorkloadName, runs: number, producers = 4): WorkloadSpec {
  return name === 'W1'
    ? { name, dispatches: runs, identities: runs, producers }
    : { name, dispatches: runs, identities: Math.floor(runs / 4), producers };
}

/** W2: producer p walks every identity once, starting p × W2_OFFSET identities further on. */
export const W2_OFFSET = 25;

/**
 * The identity index each producer dispatches, in order.
 * W1: identity i goes to producer i mod P (every identity once).
 * W2: every producer dispatches every identity once (so each identity is
 * dispatched P = 4 times), producer p starting at p × 25: the copies of one
 * identity arrive within ~100 dispatches of each other — some while the run
 * is queued or running (`active`), the rest after it completed (`cooldown`).
 */
export function producerSequences(spec: WorkloadSpec): number[][] {
  const seqs: number[][] = Array.from({ length: spec.producers }, () => []);
  if (spec.name === 'W1') {
    for (let i = 0; i < spec.dispatches; i += 1) seqs[i % spec.producers]!.push(i);
    return seqs;
  }
  const perProducer = Math.ceil(spec.dispatches / spec.producers);
  for (let p = 0; p < spec.producers; p += 1) {
    for (let j = 0; j < perProducer && p * perProducer + j < spec.dispatches; j += 1) seqs[p]!.push((j + p * W2_OFFSET) % spec.identities);
  }
  return seqs;
}

/** wall-clock milliseconds with sub-millisecond resolution (comparable with Date.now() of other processes) */
export const nowMs = (): number => performance.timeOrigin + performance.now();

export interface DispatchRecord {
  readonly identity: number;
  readonly t0: number;
  readonly t1: number;
  /** the run/job id the dispatch returned (null: refused as a duplicate without an id) */
  readonly id: string | null;
  /** true when this dispatch created the run/job */
  readonly created: boolean;
}

export type Send = (producer: number, identity: number) => Promise<{ id: string | null; created: boolean }>;

/** P closed-loop producers (each awaits its dispatch before the next). */
export async function runProducers(
  seqs: readonly (readonly number[])[],
  send: Send,
): Promise<{ records: DispatchRecord[]; startMs: number; endMs: number }> {
  const records: DispatchRecord[] = [];
  const startMs = nowMs();
  await Promise.all(
    seqs.map(async (seq, p) => {
      for (const identity of seq) {
        const t0 = nowMs();
        const r = await send(p, identity);
        records.push({ identity, t0, t1: nowMs(), id: r.id, created: r.created });
      }
    }),
  );
  return { records, startMs, endMs: nowMs() };
}

/**
 * Open loop: dispatch i is due at start + i / rate, fired when due whatever
 * earlier dispatches are doing; its latency counts from when it was DUE (no
 * coordinated omission). Producers are used round-robin.
 */
export async function runPaced(
  count: number,
  ratePerSec: number,
  producers: number,
  send: Send,
): Promise<{ latencies: number[]; errors: number; errorSamples: string[]; lateStartMaxMs: number }> {
  const latencies: number[] = [];
  let errors = 0;
  // the first distinct messages: an error count alone does not say what failed
  const errorSamples = new Set<string>();
  let lateStartMaxMs = 0;
  const inflight: Promise<void>[] = [];
  const start = nowMs() + 20;
  let next = 0;
  while (next < count) {
    const now = nowMs();
    while (next < count && start + (next * 1000) / ratePerSec <= now) {
      const due = start + (next * 1000) / ratePerSec;
      lateStartMaxMs = Math.max(lateStartMaxMs, now - due);
      const i = next;
      inflight.push(
        send(i % producers, i).then(
          () => void latencies.push(nowMs() - due),
          (err: unknown) => {
            errors += 1;
            if (errorSamples.size < 5) errorSamples.add(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
          },
        ),
      );
      next += 1;
    }
    await new Promise<void>((r) => setTimeout(r, 1));
  }
  await Promise.all(inflight);
  return { latencies, errors, errorSamples: [...errorSamples], lateStartMaxMs };
}

/** per-run latencies: completion time minus the first dispatch of the run/job id */
export function latencies(records: readonly DispatchRecord[], completedAt: ReadonlyMap<string, number>): number[] {
  const first = new Map<string, number>();
  for (const r of records) if (r.id !== null) first.set(r.id, Math.min(first.get(r.id) ?? Infinity, r.t0));
  const out: number[] = [];
  for (const [id, t0] of first) {
    const done = completedAt.get(id);
    if (done !== undefined) out.push(done - t0);
  }
  return out;
}
