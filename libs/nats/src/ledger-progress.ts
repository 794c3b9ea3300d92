import type { JetStreamManager } from '@nats-io/jetstream';
import type { Names } from '@ops/contracts';

/**
 * Whether the ledger has applied everything stored in OPS_LEDGER up to now:
 * reads the stream's last sequence once, then waits (polling, up to
 * `timeoutMs`) until the ledger's event consumer has acknowledged past it —
 * it acks an event only after its transaction committed, or after
 * dead-lettering it. A process about to act on what the ledger says about a
 * run (housekeeping healing it, a worker executing it after its lease
 * expired) calls this first: a completion stored but not applied yet must
 * not look like a run nobody finished (docs/architecture.md, "Ledger truth").
 */
export async function ledgerCaughtUp(
  jsm: JetStreamManager,
  names: Names,
  options: { timeoutMs: number; pollMs?: number },
): Promise<{ caughtUp: boolean; lastSeq: number; ackFloor: number }> {
  const lastSeq = (await jsm.streams.info(names.streams.ledger)).state.last_seq;
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const info = await jsm.consumers.info(names.streams.ledger, names.consumers.ledgerEvents);
    const ackFloor = info.ack_floor.stream_seq;
    if (ackFloor >= lastSeq) return { caughtUp: true, lastSeq, ackFloor };
    if (Date.now() >= deadline) return { caughtUp: false, lastSeq, ackFloor };
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
  }
}
