import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connectTestNats, sleep, uniqueNames } from '@ops/test-support';
import type { Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlotConsumer } from '../src/slot-consumer.ts';

/**
 * startSlotConsumer against the real server: one subscription for the
 * consumer's life, never more messages out than free slots, pull requests
 * amortized over several messages, and a clean stop.
 */
const names = uniqueNames();
const stream = `${names.prefix}_SLOTS`;
const subject = `${names.prefix}.slots`;
let nc: NatsConnection;
const logger = { warn: () => undefined, error: () => undefined } as unknown as Logger;

beforeAll(async () => {
  nc = await connectTestNats();
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [`${subject}.>`] });
});
afterAll(async () => {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(stream).catch(() => undefined);
  await nc.close();
});

async function durable(name: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(stream, {
    durable_name: name,
    ack_policy: AckPolicy.Explicit,
    filter_subject: `${subject}.${name}`,
    ack_wait: 30e9,
  });
}

/** counts the pull requests made to a consumer, as the server receives them */
function countPulls(consumer: string): { count: () => number; stop: () => void } {
  let n = 0;
  const sub = nc.subscribe(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`, {
    callback: () => {
      n += 1;
    },
  });
  return { count: () => n, stop: () => sub.unsubscribe() };
}

describe('startSlotConsumer', () => {
  it('hands out at most `slots` messages at once, each once, with fewer pull requests than messages', async () => {
    await durable('a');
    const js = jetstream(nc);
    for (let i = 0; i < 200; i += 1) await js.publish(`${subject}.a`, String(i));
    const pulls = countPulls('a');
    await nc.flush();
    let busy = 0;
    let maxBusy = 0;
    const seen: number[] = [];
    const consumer = startSlotConsumer(
      nc,
      { stream, consumer: 'a', slots: 8, refillAt: 4, expiresMs: 2_000, logger },
      async (msg) => {
        busy += 1;
        maxBusy = Math.max(maxBusy, busy);
        seen.push(msg.info.streamSequence);
        await sleep(2);
        busy -= 1;
        msg.ack();
      },
      (msg) => msg.nak(),
    );
    await expect.poll(() => seen.length, { timeout: 15_000 }).toBe(200);
    await consumer.stop();
    pulls.stop();
    expect(new Set(seen).size).toBe(200);
    expect(maxBusy).toBeLessThanOrEqual(8);
    // refilled a quarter or more of the slots at a time: well under one request per message
    expect(pulls.count()).toBeLessThan(200 / 3);
    const info = await (await jetstreamManager(nc)).consumers.info(stream, 'a');
    expect(info.num_ack_pending).toBe(0);
  });

  it('asks again after its requests expire; a message published later is handled', async () => {
    await durable('b');
    const got: string[] = [];
    const consumer = startSlotConsumer(
      nc,
      { stream, consumer: 'b', slots: 2, refillAt: 1, expiresMs: 300, logger },
      async (msg) => {
        got.push(msg.string());
        msg.ack();
      },
      (msg) => msg.nak(),
    );
    // several request lifetimes pass with nothing to deliver
    await sleep(1_000);
    await jetstream(nc).publish(`${subject}.b`, 'late');
    await expect.poll(() => got, { timeout: 5_000 }).toEqual(['late']);
    await consumer.stop();
  });

  it('stop() waits for running handlers and for its open requests: none is left waiting at the server, nothing unacknowledged', async () => {
    await durable('c');
    const js = jetstream(nc);
    for (let i = 0; i < 3; i += 1) await js.publish(`${subject}.c`, String(i));
    let finished = 0;
    const consumer = startSlotConsumer(
      nc,
      { stream, consumer: 'c', slots: 3, refillAt: 1, expiresMs: 500, logger },
      async (msg) => {
        await sleep(300);
        finished += 1;
        msg.ack();
      },
      (msg) => msg.nak(),
    );
    await sleep(100);
    await consumer.stop();
    expect(finished).toBe(3);
    const info = await (await jetstreamManager(nc)).consumers.info(stream, 'c');
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_waiting).toBe(0);
  });
});
