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

async function hold(leases: Leases): Promise<{ holder: LeaseHolder; key: string }> {
  const key = `assignments.fetch.${randomUUID().replaceAll('-', '')}`;
  const value: RunLeaseV1 = {
    kind: 'run',
    run_id: randomUUID(),
    owner: 'test',
    attempt: 1,
    state: 'running',
    heartbeat_at: new Date().toISOString(),
    stream_seq: 1,
  };
  const revision = await leases.tryCreate(key, value);
  expect(revision).not.toBeNull();
  return { holder: new LeaseHolder(leases, key, value, revision!, 10_000), key };
}

describe('LeaseHolder', () => {
  it('overlapping renewals and the completed marker run one after another: no self-inflicted lease loss', async () => {
    const leases = slowLeases(150);
    const { holder, key } = await hold(leases);
    const heartbeat = holder.renew(new Date());
    expect(holder.busy).toBe(true);
    // the attempt finishes while the heartbeat is still in flight
    await Promise.all([heartbeat, holder.renew(new Date()), holder.complete(new Date())]);
    expect(holder.lost).toBe(false);
    expect(holder.busy).toBe(false);
    const entry = await leases.read(key);
    expect(entry?.value?.state).toBe('completed');
  });

  it('a write by someone else still means lost, and the holder stops', async () => {
    const leases = slowLeases(0);
    const { holder, key } = await hold(leases);
    const other = await leases.read(key);
    await leases.update(key, { ...other!.value!, owner: 'someone else' }, other!.revision);
    await expect(holder.renew(new Date())).rejects.toBeInstanceOf(LeaseLostError);
    expect(holder.lost).toBe(true);
    expect(() => holder.assertHeld()).toThrow(LeaseLostError);
    expect(await holder.release()).toBe(false);
    expect((await leases.read(key))?.value?.owner).toBe('someone else');
  });

  it('release waits for the renewal in flight and deletes at the revision it left', async () => {
    const leases = slowLeases(150);
    const { holder, key } = await hold(leases);
    const heartbeat = holder.renew(new Date());
    expect(await holder.release()).toBe(true);
    await heartbeat;
    expect(await leases.read(key)).toBeNull();
  });
});
