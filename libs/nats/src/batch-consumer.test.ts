import type { Consumer, JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { shouldFlush, startBatchConsumer } from './batch-consumer.ts';

describe('shouldFlush (after a message joined the batch)', () => {
  const rule = { maxBatch: 3, pending: 5, stopping: false };

  it('flushes a full batch, even with more messages pending', () => {
    expect(shouldFlush({ ...rule, size: 3 })).toBe(true);
    expect(shouldFlush({ ...rule, size: 4 })).toBe(true);
  });

  it('flushes as soon as the server has nothing more pending: a lone message is handled at once', () => {
    expect(shouldFlush({ ...rule, size: 1, pending: 0 })).toBe(true);
  });

  it('flushes whatever it holds while stopping', () => {
    expect(shouldFlush({ ...rule, size: 1, stopping: true })).toBe(true);
  });

  it('keeps collecting while the batch is not full and more is pending (the maxWaitMs timer bounds the wait)', () => {
    expect(shouldFlush({ ...rule, size: 1 })).toBe(false);
    expect(shouldFlush({ ...rule, size: 2, pending: 1 })).toBe(false);
  });
});

/** A consumer whose messages the test pushes, each with the pending count the server would report. */
function fakeConsumer() {
  const queue: JsMsg[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  let seq = 0;
  const messages = {
    [Symbol.asyncIterator]: () => ({
      async next(): Promise<IteratorResult<JsMsg>> {
        while (queue.length === 0 && !closed) await new Promise<void>((resolve) => (wake = resolve));
        const value = queue.shift();
        return value ? { value, done: false } : { value: undefined, done: true };
      },
    }),
    close: async () => {
      closed = true;
      wake?.();
    },
  };
  return {
    consumer: { consume: async () => messages } as unknown as Consumer,
    push(...pending: number[]) {
      for (const p of pending) queue.push({ seq: ++seq, info: { pending: p } } as unknown as JsMsg);
      wake?.();
    },
  };
}

const logger = { error: () => undefined } as unknown as Logger;
const seqs = (batches: JsMsg[][]) => batches.map((b) => b.map((m) => m.seq));

describe('startBatchConsumer', () => {
  it('hands over batches as the rule says: full ones, then the rest once nothing is pending', async () => {
    const { consumer, push } = fakeConsumer();
    const batches: JsMsg[][] = [];
    const bc = await startBatchConsumer(consumer, { maxBatch: 2, maxWaitMs: 60_000, logger }, async (b) => void batches.push(b));
    push(4, 3, 2, 1, 0);
    await expect.poll(() => seqs(batches)).toEqual([[1, 2], [3, 4], [5]]);
    await bc.stop();
  });

  it('flushes a partial batch after maxWaitMs when more is pending but does not arrive', async () => {
    const { consumer, push } = fakeConsumer();
    const batches: JsMsg[][] = [];
    const bc = await startBatchConsumer(consumer, { maxBatch: 10, maxWaitMs: 50, logger }, async (b) => void batches.push(b));
    push(7, 6);
    await expect.poll(() => seqs(batches), { timeout: 2_000 }).toEqual([[1, 2]]);
    await bc.stop();
  });

  it('a failing handler is reported and the loop goes on with the next batch', async () => {
    const { consumer, push } = fakeConsumer();
    const onBatchError = vi.fn();
    const handled: number[][] = [];
    const bc = await startBatchConsumer(consumer, { maxBatch: 1, maxWaitMs: 50, logger, onBatchError }, async (b) => {
      if (b[0]!.seq === 1) throw new Error('boom');
      handled.push(b.map((m) => m.seq));
    });
    push(1, 0);
    await expect.poll(() => handled).toEqual([[2]]);
    expect(onBatchError).toHaveBeenCalledTimes(1);
    expect((onBatchError.mock.calls[0]![0] as Error).message).toBe('boom');
    await bc.stop();
  });

  it('stop() resolves once the loop has ended', async () => {
    const { consumer } = fakeConsumer();
    const bc = await startBatchConsumer(consumer, { maxBatch: 5, maxWaitMs: 50, logger }, async () => undefined);
    await bc.stop();
    await expect(bc.done).resolves.toBeUndefined();
  });
});
