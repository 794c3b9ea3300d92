import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { type NatsConnection, RequestError, TimeoutError } from '@nats-io/nats-core';
import { connectTestNats, testEnv, uniqueNames } from '@ops/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKvCasError } from '../src/kv-cas.ts';
import { withLeanRequests } from '../src/lean-requests.ts';

/**
 * withLeanRequests against the real server: replies reach their own caller,
 * the failures nats.js reports are reported alike (the JetStream and KV
 * clients depend on them), and an answered request builds no Error.
 */
const names = uniqueNames();
const stream = `${names.prefix}_LEAN`;
const subject = `${names.prefix}.lean`;
/** subjects no stream listens on */
const plain = `${names.prefix}.plain`;
let nc: NatsConnection;
let lean: NatsConnection;

beforeAll(async () => {
  nc = await connectTestNats();
  lean = withLeanRequests(nc);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [`${subject}.jobs`], duplicate_window: 60e9 });
});
afterAll(async () => {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(stream).catch(() => undefined);
  await jsm.streams.delete(`KV_${names.prefix}_lean`).catch(() => undefined);
  await nc.close();
});

describe('withLeanRequests', () => {
  it('200 concurrent requests: each gets its own reply', async () => {
    const echo = nc.subscribe(`${plain}.echo`, {
      callback: (_err, msg) => {
        msg.respond(msg.data);
      },
    });
    await nc.flush();
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => lean.request(`${plain}.echo`, `n${i}`, { timeout: 5_000 })));
    expect(replies.map((m) => m.string())).toEqual(Array.from({ length: 200 }, (_, i) => `n${i}`));
    echo.unsubscribe();
  });

  it('no responders → a RequestError caused by NoRespondersError; silence → TimeoutError', async () => {
    const none = await lean.request(`${plain}.nobody`, 'x', { timeout: 2_000 }).catch((err: unknown) => err);
    expect(none).toBeInstanceOf(RequestError);
    expect((none as RequestError).isNoResponders()).toBe(true);

    const silent = nc.subscribe(`${plain}.silent`, { callback: () => undefined });
    await nc.flush();
    const timedOut = await lean.request(`${plain}.silent`, 'x', { timeout: 200 }).catch((err: unknown) => err);
    expect(timedOut).toBeInstanceOf(TimeoutError);
    silent.unsubscribe();
  });

  it('the JetStream client through it: PubAcks, duplicates by Nats-Msg-Id, errors of the API', async () => {
    const js = jetstream(lean);
    const first = await js.publish(`${subject}.jobs`, 'a', { msgID: 'one' });
    expect(first).toMatchObject({ stream, seq: 1, duplicate: false });
    expect(await js.publish(`${subject}.jobs`, 'a', { msgID: 'one' })).toMatchObject({ seq: 1, duplicate: true });
    // an expectation the stream refuses is the API's error, as without the wrapper
    const wrong = await js.publish(`${subject}.jobs`, 'b', { expect: { lastSequence: 7 } }).catch((err: unknown) => err);
    expect((wrong as Error).name).toBe('JetStreamApiError');
  });

  it('the KV client through it: create and update are compare-and-set, a refused CAS is the error isKvCasError knows', async () => {
    const kv = await new Kvm(lean).create(`${names.prefix}_lean`, { history: 1 });
    const rev = await kv.create('k', 'v1');
    expect(await kv.create('k', 'v2').catch((err: unknown) => isKvCasError(err))).toBe(true);
    const rev2 = await kv.update('k', 'v3', rev);
    expect(rev2).toBeGreaterThan(rev);
    expect(await kv.update('k', 'v4', rev).catch((err: unknown) => isKvCasError(err))).toBe(true);
    expect((await kv.get('k'))?.string()).toBe('v3');
    expect(await kv.get('absent')).toBeNull();
  });

  it('an answered request constructs no Error (nats.js builds at least one per request)', () => {
    const script = fileURLToPath(new URL('./fixtures/count-request-errors.ts', import.meta.url));
    // synchronous: the child talks to NATS, not to this process
    const stdout = execFileSync(process.execPath, [script, '50'], {
      env: { ...process.env, NATS_URL: testEnv.NATS_URL.join(',') },
      timeout: 30_000,
      encoding: 'utf8',
    });
    const counts = JSON.parse(stdout) as { stock: number; lean: number };
    // the counter sees nats.js's errors (else the zero below would prove nothing)
    expect(counts.stock).toBeGreaterThanOrEqual(50);
    expect(counts.lean).toBe(0);
  });
});
