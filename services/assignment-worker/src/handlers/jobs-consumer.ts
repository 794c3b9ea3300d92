import type { Consumer, JsMsg } from '@nats-io/jetstream';
import type { Logger } from '@ops/logging';
import { HAND_BACK_DELAY_MS, type JobResult, PULL_EXPIRES_MS } from '../work/deps.ts';

export interface JobsConsumer {
  /** stop pulling; wait up to graceMs for in-flight jobs, then release the rest */
  stop(graceMs: number): Promise<void>;
  readonly inFlight: () => number;
}

/**
 * `concurrency` independent pull loops on the durable consumer, one message
 * each at a time: nothing sits in a client-side buffer with its ack-wait
 * clock running, and a stopped loop takes no new work.
 */
export function startJobsConsumer(
  consumer: Consumer,
  options: { concurrency: number; logger: Logger; onResult?: (result: JobResult) => void },
  handle: (msg: JsMsg, release: AbortSignal) => Promise<JobResult>,
): JobsConsumer {
  let stopping = false;
  let inFlight = 0;
  const release = new AbortController();
  const loop = async () => {
    while (!stopping) {
      let msg: JsMsg | null = null;
      try {
        msg = await consumer.next({ expires: PULL_EXPIRES_MS });
      } catch (err) {
        if (stopping) break;
        options.logger.warn({ err }, 'pull failed; retrying');
        await new Promise((r) => setTimeout(r, 1_000));
        continue;
      }
      if (!msg) continue;
      options.logger.debug({ subject: msg.subject, streamSeq: msg.info.streamSequence, deliveries: msg.info.deliveryCount }, 'job pulled');
      if (stopping) {
        // pulled while stopping: hand it back to another worker
        msg.nak(HAND_BACK_DELAY_MS);
        break;
      }
      inFlight += 1;
      try {
        // not `onResult?.(await handle(…))`: optional chaining would skip the call itself
        const result = await handle(msg, release.signal);
        options.onResult?.(result);
      } catch (err) {
        // processJob settles every message itself; this is a bug guard, never a crash
        options.logger.error({ err }, 'job processing threw; message left for redelivery');
      } finally {
        inFlight -= 1;
      }
    }
  };
  const loops = Array.from({ length: options.concurrency }, () => loop());
  const all = Promise.all(loops);
  return {
    inFlight: () => inFlight,
    async stop(graceMs) {
      stopping = true;
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      });
      await Promise.race([all, graceOver]);
      clearTimeout(timer);
      // past the grace period: in-flight attempts release their lease and nak
      release.abort();
      await all;
    },
  };
}
