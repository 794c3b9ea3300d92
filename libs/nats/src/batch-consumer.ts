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
  const messages: ConsumerMessages = await consumer.consume({ max_messages: Math.max(options.maxBatch * 2, 64) });
  let stopping = false;
  const iterator = messages[Symbol.asyncIterator]();

  const run = async () => {
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
    for (;;) {
      next ??= iterator.next();
      let result: IteratorResult<JsMsg> | 'timeout';
      if (batch.length === 0) {
        result = await next;
      } else {
        const wait = waitBeforeFlush({
          size: batch.length,
          maxBatch: options.maxBatch,
          stopping,
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
    await flush();
  };

  const done = run();
  return {
    done,
    async stop() {
      if (!stopping) {
        stopping = true;
        // stop() lets already-delivered messages drain through the iterator
        await messages.close();
      }
      await done;
    },
  };
}
