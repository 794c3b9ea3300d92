import type { Consumer, JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { startBatchConsumer, waitBeforeFlush } from './batch-consumer.ts';

describe('waitBeforeFlush (a non-empty batch)', () => {
  const rule = { maxBatch: 3, stopping: false, msToDeadline: 20, lingerMs: 2 };

  it('flushes a full batch at once', () => {
    expect(waitBeforeFlush({ ...rule, size: 3 })).toBe(0);
    expect(waitBeforeFlush({ ...rule, size: 4 })).toBe(0);
  });

  it('flushes whatever it holds while stopping', () => {
    expect(waitBeforeFlush({ ...rule, size: 1, stopping: true })).toBe(0);
  });

  it('otherwise waits the linger for one more message, never past the deadline', () => {
    expect(waitBeforeFlush({ ...rule, size: 1 })).toBe(2);
    expect(waitBeforeFlush({ ...rule, size: 2, msToDeadline: 1 })).toBe(1);
    expect(waitBeforeFlush({ ...rule, size: 2, msToDeadline: -5 })).toBe(0);
  });
});

/**
 * A consumer whose messages the test pushes (into the client's buffer), each
 * with the pending count the server would report. `end()` ends the current
 * consume() loop as nats.js does on its own; the next consume() starts a new one.
 */
function fakeConsumer() {
  const queue: JsMsg[] = [];
  let wake: (() => void) | undefined;
  let seq = 0;
  let loops = 0;
  let current = { closed: false };
  const open = () => {
    const loop = { closed: false };
    current = loop;
    loops += 1;
    return {
      [Symbol.asyncIterator]: () => ({
        async next(): Promise<IteratorResult<JsMsg>> {
          while ((queue.length === 0 || current !== loop) && !loop.closed) await new Promise<void>((resolve) => (wake = resolve));
          const value = loop.closed ? undefined : queue.shift();
          return value ? { value, done: false } : { value: undefined, done: true };
        },
      }),
      close: async () => {
        loop.closed = true;
        wake?.();
      },
      status: () => ({ [Symbol.asyncIterator]: () => ({ next: async () => ({ value: undefined, done: true }) }) }),
    };
  };
  return {
    consumer: { consume: async () => open() } as unknown as Consumer,
    push(...pending: number[]) {
      for (const p of pending) queue.push({ seq: ++seq, info: { pending: p } } as unknown as JsMsg);
      wake?.();
    },
    end() {
      current.closed = true;
      wake?.();
    },
    loops: () => loops,
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

  it("a backlog in the client's buffer is one batch, though the server reports nothing pending for each message (issue #18)", async () => {
    const { consumer, push } = fakeConsumer();
    const batches: JsMsg[][] = [];
    const bc = await startBatchConsumer(consumer, { maxBatch: 10, maxWaitMs: 60_000, logger }, async (b) => void batches.push(b));
    // the consumer pulled ahead: the server has delivered everything, pending 0 on every message
    push(0, 0, 0, 0, 0, 0);
    await expect.poll(() => seqs(batches)).toEqual([[1, 2, 3, 4, 5, 6]]);
    await bc.stop();
  });

  it('messages arriving faster than the linger keep a batch open until maxWaitMs', async () => {
    const { consumer, push } = fakeConsumer();
    const batches: JsMsg[][] = [];
    const bc = await startBatchConsumer(
      consumer,
      { maxBatch: 1000, maxWaitMs: 60, lingerMs: 30, logger },
      async (b) => void batches.push(b),
    );
    const started = Date.now();
    const trickle = setInterval(() => push(0), 5);
    await expect.poll(() => batches.length, { timeout: 2_000 }).toBeGreaterThan(0);
    clearInterval(trickle);
    // one batch of several messages, closed by the deadline (not by a gap of 30 ms)
    expect(batches[0]!.length).toBeGreaterThan(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    await bc.stop();
  });

  it('flushes a partial batch after the linger when nothing more arrives', async () => {
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

  it('a consume() loop that ends on its own is reported and replaced: the messages after it are handled', async () => {
    const { consumer, push, end, loops } = fakeConsumer();
    const errors: unknown[] = [];
    const handled: number[][] = [];
    const bc = await startBatchConsumer(
      consumer,
      { maxBatch: 10, maxWaitMs: 20, logger: { error: (_o: unknown, msg: string) => errors.push(msg) } as unknown as Logger },
      async (b) => void handled.push(b.map((m) => m.seq)),
    );
    push(0);
    await expect.poll(() => handled).toEqual([[1]]);
    end();
    push(0);
    await expect.poll(() => handled, { timeout: 3_000 }).toEqual([[1], [2]]);
    expect(loops()).toBe(2);
    expect(errors).toEqual(['the pull consumer ended on its own; consuming again']);
    await bc.stop();
  });

  it('stop() resolves once the loop has ended', async () => {
    const { consumer } = fakeConsumer();
    const bc = await startBatchConsumer(consumer, { maxBatch: 5, maxWaitMs: 50, logger }, async () => undefined);
    await bc.stop();
    await expect(bc.done).resolves.toBeUndefined();
  });
});
