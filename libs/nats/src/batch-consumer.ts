import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';

interface BatchConsumerOptions {
  /** most messages handed to one handler call (one DB transaction) */
  readonly maxBatch: number;
  /** flush a partial batch this long after its first message, however fast more arrive */
  readonly maxWaitMs: number;
  /** flush once no further message arrived for this long (default 2 ms): the client's buffer is empty */
  readonly lingerMs?: number;
  readonly logger: Logger;
  /** called after each batch (metrics); errors thrown by the handler never stop the loop */
  readonly onBatchError?: (err: unknown, batch: readonly JsMsg[]) => Promise<void> | void;
}

export interface BatchConsumer {
  /** stop pulling; resolves when the in-flight batch has been handled */
  stop(): Promise<void>;
  readonly done: Promise<void>;
}

const DEFAULT_LINGER_MS = 2;

/**
 * How long one pull request waits at the server (nats.js sends idle
 * heartbeats at half of it). A pull request the server dropped without a
 * word — a consumer leader that stepped down answers "409 Leadership Change",
 * which nats.js ignores, or the request went to a node that lost the
 * leadership meanwhile — is only noticed after two missed heartbeats, checked
 * once per heartbeat interval: up to 3/2 of this. nats.js's 30 s default
 * left a ledger replica idle for 45 s with events pending after a partition
 * healed (test/cluster/partition.test.ts); 10 s bounds that at 15 s, for one
 * extra pull request per 10 s when idle.
 */
const DEFAULT_EXPIRES_MS = 10_000;

/** after the consume() loop ended on its own: wait this long before consuming again */
const RESTART_DELAY_MS = 1_000;

/**
 * How long a non-empty batch waits for its next message before it is
 * flushed: at most `lingerMs` (no message within it — the client's buffer is
 * empty: whatever was delivered is in the batch) and never past the batch's
 * deadline (maxWaitMs after its first message). Zero: flush now.
 *
 * Why not the server's `info.pending === 0`: the consumer pulls ahead, so
 * the server reports nothing pending for every message while dozens wait in
 * the client's buffer — batches of 1–3 (issue #18, measured by the bench).
 */
export function waitBeforeFlush(state: {
  size: number;
  maxBatch: number;
  stopping: boolean;
  msToDeadline: number;
  lingerMs: number;
}): number {
  if (state.size >= state.maxBatch || state.stopping) return 0;
  return Math.max(0, Math.min(state.lingerMs, state.msToDeadline));
}

/**
 * Pulls from a durable consumer and hands messages over in batches: a batch
 * is flushed when it is full, when no further message arrived within
 * `lingerMs` (messages already in the client's buffer arrive at once, so a
 * backlog makes full batches and a lone message waits only the linger), or
 * maxWaitMs after its first message. The handler owns ack/nak/term of every
 * message it gets.
 */
export async function startBatchConsumer(
  consumer: Consumer,
  options: BatchConsumerOptions,
  handler: (batch: JsMsg[]) => Promise<void>,
): Promise<BatchConsumer> {
  const open = async (): Promise<ConsumerMessages> => {
    const m = await consumer.consume({ max_messages: Math.max(options.maxBatch * 2, 64), expires: DEFAULT_EXPIRES_MS });
    void logNotifications(m, options.logger).catch(() => undefined);
    return m;
  };
  let stopping = false;
  // the first consume() fails the start; later ones are retried
  let messages = await open();

  // nats.js ends the loop on its own on some errors (a 400 status, a failed
  // subscription): the ledger would stay up and ready, applying nothing. So
  // an end that stop() did not ask for is logged and consuming starts again.
  const run = async () => {
    for (;;) {
      const ended = await batches(messages, options, handler, () => stopping).then(
        () => undefined,
        (err: unknown) => err,
      );
      if (stopping) return;
      options.logger.error({ err: ended }, 'the pull consumer ended on its own; consuming again');
      for (;;) {
        await sleep(RESTART_DELAY_MS);
        if (stopping) return;
        try {
          messages = await open();
          break;
        } catch (err) {
          options.logger.error({ err }, 'could not consume again; retrying');
        }
      }
    }
  };

  const done = run();
  return {
    done,
    async stop() {
      if (!stopping) {
        stopping = true;
        // close() lets already-delivered messages drain through the iterator
        await messages.close();
      }
      await done;
    },
  };
}

/** Hands the messages of one consume() loop over in batches, until that loop ends. */
async function batches(
  messages: ConsumerMessages,
  options: BatchConsumerOptions,
  handler: (batch: JsMsg[]) => Promise<void>,
  stopping: () => boolean,
): Promise<void> {
  const iterator = messages[Symbol.asyncIterator]();
  let batch: JsMsg[] = [];
  let next: Promise<IteratorResult<JsMsg>> | null = null;
  let deadline = 0;
  const flush = async () => {
    const current = batch;
    batch = [];
    if (current.length === 0) return;
    try {
      await handler(current);
    } catch (err) {
      options.logger.error({ err, size: current.length }, 'batch handler failed');
      await options.onBatchError?.(err, current);
    }
  };
  const lingerMs = options.lingerMs ?? DEFAULT_LINGER_MS;
  try {
    for (;;) {
      next ??= iterator.next();
      let result: IteratorResult<JsMsg> | 'timeout';
      if (batch.length === 0) {
        result = await next;
      } else {
        const wait = waitBeforeFlush({
          size: batch.length,
          maxBatch: options.maxBatch,
          stopping: stopping(),
          msToDeadline: deadline - Date.now(),
          lingerMs,
        });
        if (wait === 0) {
          await flush();
          continue;
        }
        let timer: NodeJS.Timeout | undefined;
        result = await Promise.race([
          next,
          new Promise<'timeout'>((resolve) => {
            timer = setTimeout(() => resolve('timeout'), wait);
          }),
        ]);
        clearTimeout(timer);
      }
      if (result === 'timeout') {
        await flush();
        continue;
      }
      next = null;
      if (result.done) break;
      const msg = result.value;
      if (batch.length === 0) deadline = Date.now() + options.maxWaitMs;
      batch.push(msg);
    }
  } finally {
    // what was delivered before the end is handled (and acked) either way
    await flush();
  }
}

/**
 * What the pull loop does when it is not simply pulling: missed heartbeats
 * (its pull request is gone, e.g. with a consumer leader), re-pulls, a
 * consumer or stream not found. An operator reads these next to a stalled
 * consumer; the routine `next`/`heartbeat` notices are left out.
 */
async function logNotifications(messages: ConsumerMessages, logger: Logger): Promise<void> {
  for await (const n of messages.status()) {
    if (n.type === 'next' || n.type === 'heartbeat' || n.type === 'flow_control') continue;
    const level = n.type === 'debug' || n.type === 'discard' ? 'debug' : 'warn';
    logger[level]({ consumer_status: n }, 'pull consumer status');
  }
}
