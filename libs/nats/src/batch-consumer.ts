import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';

interface BatchConsumerOptions {
  /** most messages handed to one handler call (one DB transaction) */
  readonly maxBatch: number;
  /** flush a partial batch after this long even if more messages are pending */
  readonly maxWaitMs: number;
  readonly logger: Logger;
  /** called after each batch (metrics); errors thrown by the handler never stop the loop */
  readonly onBatchError?: (err: unknown, batch: readonly JsMsg[]) => Promise<void> | void;
}

export interface BatchConsumer {
  /** stop pulling; resolves when the in-flight batch has been handled */
  stop(): Promise<void>;
  readonly done: Promise<void>;
}

/**
 * The flush rule, once a message has joined the batch: flush when the batch
 * is full, when the server has nothing more pending (so a lone message is
 * handled at once rather than after maxWaitMs), or when the consumer is
 * stopping. The other trigger — maxWaitMs after a batch's first message with
 * more still pending — is the timer in the pull loop.
 */
export function shouldFlush(state: { size: number; maxBatch: number; pending: number; stopping: boolean }): boolean {
  return state.size >= state.maxBatch || state.pending === 0 || state.stopping;
}

/**
 * Pulls from a durable consumer and hands messages over in batches: a batch
 * is flushed when it is full, when the server says nothing more is pending
 * (`info.pending === 0`, so a lone message is handled at once), or after
 * maxWaitMs. The handler owns ack/nak/term of every message it gets.
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
    for (;;) {
      next ??= iterator.next();
      let result: IteratorResult<JsMsg> | 'timeout';
      if (batch.length === 0) {
        result = await next;
      } else {
        const wait = Math.max(0, deadline - Date.now());
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
      if (shouldFlush({ size: batch.length, maxBatch: options.maxBatch, pending: msg.info.pending, stopping })) await flush();
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
