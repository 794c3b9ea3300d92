import { randomUUID } from 'node:crypto';
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import type { RunLeaseV1 } from '@ops/contracts';
import { connectTestNats, sleep } from '@ops/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseHolder } from '../src/domain/lease-holder.ts';
import { LeaseLostError, type Leases } from '../src/domain/leases.ts';
import { createLeases } from '../src/repositories/leases.ts';

/**
 * LeaseHolder against a real KV bucket whose CAS writes are slowed down, as
 * on a loaded machine: a heartbeat still in flight when the final renewal or
 * the completed marker starts must not make the holder fail its own CAS.
 */
let nc: NatsConnection;
let kv: KV;
const bucket = `t_lease_${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  nc = await connectTestNats();
  kv = await new Kvm(nc).create(bucket, { history: 1 });
});
afterAll(async () => {
  await kv?.destroy();
  await nc?.close();
});

/** the real leases, each update delayed by `ms` before it reaches the server */
function slowLeases(ms: number): Leases {
  const real = createLeases(kv);
  return {
    ...real,
    update: async (key, value, revision) => {
      await sleep(ms);
      return real.update(key, value, revision);
    },
  };
}

const TIMING = { fenceMs: 10_000, renewTimeoutMs: 5_000 };

async function hold(
  leases: Leases,
  timing = TIMING,
  clock: () => number = () => performance.now(),
): Promise<{ holder: LeaseHolder; key: string; value: RunLeaseV1 }> {
  const key = `assignments.fetch.${randomUUID().replaceAll('-', '')}`;
  const value: RunLeaseV1 = {
    kind: 'run',
    run_id: randomUUID(),
    owner: 'test',
    attempt: 2,
    state: 'running',
    heartbeat_at: new Date().toISOString(),
    stream_seq: 1,
  };
  const sent = clock();
  const revision = await leases.tryCreate(key, value);
  expect(revision).not.toBeNull();
  return { holder: new LeaseHolder(leases, key, value, revision!, timing, sent, clock), key, value };
}

describe('LeaseHolder', () => {
  it('overlapping renewals and the completed marker run one after another: no self-inflicted lease loss', async () => {
    const leases = slowLeases(150);
    const { holder, key } = await hold(leases);
    const heartbeat = holder.renew(new Date());
    expect(holder.busy).toBe(true);
    // the attempt finishes while the heartbeat is still in flight
    const result = {
      outcome: 'succeeded' as const,
      counts: { total: 1, processed: 1, failed: 0 },
      failures: [],
      seq: 1,
      at: new Date().toISOString(),
      started_at: new Date().toISOString(),
    };
    await Promise.all([heartbeat, holder.renew(new Date()), holder.complete(new Date(), result)]);
    expect(holder.busy).toBe(false);
    expect(holder.completed).toBe(true);
    const entry = await leases.read(key);
    // the marker records the completion it precedes
    expect(entry?.value).toMatchObject({ state: 'completed', attempt: 2, result });
    // done: the holder acts no more
    expect(() => holder.assertHeld()).toThrow(/completed/);
  });

  it('a write by someone else means lost: the signal aborts in-flight work and nothing more is written', async () => {
    const leases = slowLeases(0);
    const { holder, key } = await hold(leases);
    const other = await leases.read(key);
    await leases.update(key, { ...other!.value!, owner: 'someone else' }, other!.revision);
    await expect(holder.renew(new Date())).rejects.toBeInstanceOf(LeaseLostError);
    expect(holder.lost).toBe(true);
    expect(holder.signal.aborted).toBe(true);
    expect(holder.signal.reason).toBeInstanceOf(LeaseLostError);
    expect(() => holder.assertHeld()).toThrow(LeaseLostError);
    await expect(holder.retry(new Date(), 1_000)).rejects.toBeInstanceOf(LeaseLostError);
    expect((await leases.read(key))?.value?.owner).toBe('someone else');
  });

  it('retry waits for the renewal in flight and marks the lease retrying at the revision it left, keeping the attempt', async () => {
    const leases = slowLeases(150);
    const { holder, key } = await hold(leases);
    const heartbeat = holder.renew(new Date());
    await holder.retry(new Date(), 2_500);
    await heartbeat;
    expect((await leases.read(key))?.value).toMatchObject({ state: 'retrying', attempt: 2, retry_after_ms: 2_500 });
    expect(holder.signal.aborted).toBe(true);
  });

  it('the fence counts from when the last good renewal was SENT, not from when its answer came', async () => {
    let now = 1_000;
    const leases = slowLeases(60);
    const { holder } = await hold(leases, { fenceMs: 400, renewTimeoutMs: 300 }, () => now);
    now = 1_300; // a renewal sent at 1 300 …
    const renewal = holder.renew(new Date());
    await sleep(20);
    now = 1_550; // … answered at 1 550
    await renewal;
    now = 1_650;
    expect(holder.lost).toBe(false);
    now = 1_700; // 1 300 + 400: the fence is over, though the answer came only 150 ms ago
    expect(holder.lost).toBe(true);
    expect(holder.signal.aborted).toBe(true);
  });

  it('renewals that go unanswered stop the holder once its fence expires (a cut-off or frozen process)', async () => {
    const leases = createLeases(kv);
    const hanging: Leases = { ...leases, update: () => new Promise<number>(() => undefined) };
    const { holder } = await hold(hanging, { fenceMs: 300, renewTimeoutMs: 100 });
    await expect(holder.renew(new Date())).rejects.toThrow(/no answer to the renewal within 100 ms/);
    expect(holder.lost).toBe(false);
    await new Promise<void>((resolve) => holder.signal.addEventListener('abort', () => resolve(), { once: true }));
    expect(holder.lost).toBe(true);
    expect(() => holder.assertHeld()).toThrow(/fence expired/);
  });
});
