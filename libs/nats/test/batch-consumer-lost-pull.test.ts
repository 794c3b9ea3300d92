import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connectTestNats, sleep, uniqueNames } from '@ops/test-support';
import type { Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBatchConsumer } from '../src/batch-consumer.ts';

/**
 * A pull request the server drops without ending it (a consumer leader that
 * steps down, a partition healing) leaves a nats.js consume() loop waiting
 * until it misses two idle heartbeats. On one server the same happens when
 * the durable is deleted and created again: the waiting request is dropped
 * with "409 Consumer Deleted", which consume() ignores. The ledger's loop must
 * pull again within 15 s (nats.js's default expiry took up to 45 s: a ledger
 * replica idle with events pending after a partition healed, issue #19).
 */
const names = uniqueNames();
const stream = `${names.prefix}_LOSTPULL`;
const subject = `${names.prefix}.lostpull`;
const durable = 'ledgerlike';
let nc: NatsConnection;
const warnings: unknown[] = [];
const logger = {
  warn: (o: unknown) => warnings.push(o),
  error: () => undefined,
  debug: () => undefined,
  info: () => undefined,
} as unknown as Logger;

async function addDurable(deliver: DeliverPolicy = DeliverPolicy.All): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(stream, {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: deliver,
    filter_subject: `${subject}.>`,
    ack_wait: 30e9,
  });
}

beforeAll(async () => {
  nc = await connectTestNats();
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [`${subject}.>`] });
  await addDurable();
});
afterAll(async () => {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(stream).catch(() => undefined);
  await nc.close();
});

describe('startBatchConsumer after its pull request is dropped', () => {
  it('pulls again within 15 s (20 s bound) and hands over what arrived meanwhile', async () => {
    const pulls: Array<{ expires: number }> = [];
    const spy = nc.subscribe(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${durable}`, {
      callback: (_err, m) => {
        pulls.push(m.json<{ expires: number }>());
      },
    });
    const got: string[] = [];
    const js = jetstream(nc);
    const consumer = await js.consumers.get(stream, durable);
    const loop = await startBatchConsumer(consumer, { maxBatch: 8, maxWaitMs: 20, logger }, async (batch) => {
      for (const m of batch) {
        got.push(m.string());
        m.ack();
      }
    });
    try {
      await js.publish(`${subject}.a`, 'before');
      for (let i = 0; i < 50 && got.length < 1; i += 1) await sleep(100);
      expect(got).toEqual(['before']);
      // every pull request asks the server to wait at most 10 s
      expect(pulls.length).toBeGreaterThan(0);
      for (const p of pulls) expect(p.expires).toBeLessThanOrEqual(10e9);

      // the waiting request is dropped ("409 Consumer Deleted"); the durable is back at once (new messages only)
      const jsm = await jetstreamManager(nc);
      await jsm.consumers.delete(stream, durable);
      await addDurable(DeliverPolicy.New);
      const dropped = Date.now();
      await js.publish(`${subject}.a`, 'after');
      while (got.length < 2 && Date.now() - dropped < 25_000) await sleep(100);
      const resumedMs = Date.now() - dropped;
      expect(got).toEqual(['before', 'after']);
      expect(resumedMs).toBeLessThan(20_000);
      // and it said why it pulled again
      expect(JSON.stringify(warnings)).toContain('heartbeats_missed');
    } finally {
      spy.unsubscribe();
      await loop.stop();
    }
  }, 40_000);
});
