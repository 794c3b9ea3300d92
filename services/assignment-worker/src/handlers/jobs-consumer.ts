import type { JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Logger } from '@ops/logging';
import { startSlotConsumer } from '@ops/nats';
import { HAND_BACK_DELAY_MS, type JobResult, PULL_EXPIRES_MS } from '../work/deps.ts';

export interface JobsConsumer {
  /** stop pulling; wait up to graceMs for in-flight jobs, then release the rest */
  stop(graceMs: number): Promise<void>;
  readonly inFlight: () => number;
}

/**
 * The durable jobs consumer through one long-lived pull subscription that
 * asks for exactly as many jobs as there are free slots (`startSlotConsumer`):
 * nothing sits in a client-side buffer with its ack-wait clock running, a
 * stopped consumer takes no new work, and no subscription is made per job.
 */
export function startJobsConsumer(
  nc: NatsConnection,
  target: { readonly stream: string; readonly consumer: string; readonly inboxPrefix?: string | undefined },
  options: { concurrency: number; logger: Logger; onResult?: (result: JobResult) => void },
  handle: (msg: JsMsg, release: AbortSignal) => Promise<JobResult>,
): JobsConsumer {
  const release = new AbortController();
  const slots = startSlotConsumer(
    nc,
    {
      ...target,
      slots: options.concurrency,
      // a quarter of the slots per pull request under load; a lone free slot is asked for shortly after
      refillAt: Math.max(1, Math.floor(options.concurrency / 4)),
      expiresMs: PULL_EXPIRES_MS,
      logger: options.logger,
    },
    async (msg) => {
      options.logger.debug({ subject: msg.subject, streamSeq: msg.info.streamSequence, deliveries: msg.info.deliveryCount }, 'job pulled');
      // not `onResult?.(await handle(…))`: optional chaining would skip the handling itself
      const result = await handle(msg, release.signal);
      options.onResult?.(result);
    },
    // pulled while stopping: hand it back to another worker
    (msg) => msg.nak(HAND_BACK_DELAY_MS),
  );
  return {
    inFlight: slots.busy,
    async stop(graceMs) {
      const stopped = slots.stop();
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      });
      await Promise.race([stopped, graceOver]);
      clearTimeout(timer);
      // past the grace period: in-flight attempts release their lease and nak
      release.abort();
      await stopped;
    },
  };
}
