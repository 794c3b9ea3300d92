import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { Names } from '@ops/contracts';
import { type OwnNatsServer, startNatsServer, uniqueNames } from '@ops/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withLeanRequests } from '../src/lean-requests.ts';
import { createLease, openLocksBucket, readLease } from '../src/leases.ts';
import { ensureLocksBucket, ensureTopology } from '../src/topology.ts';

/**
 * Lease reads are leader reads (docs/architecture.md, "Leader reads for
 * leases"): a plain subscriber on `$JS.API.>` records every JetStream request
 * a readLease sends. On a server of the test's own, so no other test's
 * requests are in the record.
 */
let server: OwnNatsServer;
let nc: NatsConnection;
let spy: NatsConnection;
let names: Names;
const key = 'assignments.fetch.0123abcd';

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  spy = await connect({ servers: server.url });
  names = uniqueNames();
  await ensureTopology(nc, names);
  const kv = await openLocksBucket(nc, names);
  const at = new Date().toISOString();
  await createLease(kv, key, {
    kind: 'run',
    run_id: '7f0c1b9e-5d2a-4c3b-9a8e-1f2d3c4b5a69',
    owner: 'w1',
    attempt: 1,
    state: 'running',
    heartbeat_at: at,
    stream_seq: 1,
  });
});

afterAll(async () => {
  await spy?.close();
  await nc?.close();
  await server?.stop();
});

/** the JetStream API subjects `read` sent, in order */
async function apiSubjectsOf(read: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const sub = spy.subscribe('$JS.API.>', {
    callback: (_err, msg) => {
      seen.push(msg.subject);
    },
  });
  await spy.flush();
  await read();
  // the server routed the request to the spy before it answered it: a round trip of the spy's own brings it in
  await spy.flush();
  sub.unsubscribe();
  // the server must have the unsubscribe before the next test: a request it would still route to
  // the spy gets no "no responders" but a timeout (the direct-get test failed so under load)
  await spy.flush();
  return seen;
}

describe('readLease asks the stream leader ($JS.API.STREAM.MSG.GET), never a replica ($JS.API.DIRECT.GET)', () => {
  const handles: Array<[string, () => Promise<KV>]> = [
    ['housekeeping and opsctl: openLocksBucket', () => openLocksBucket(nc, names)],
    ["the worker's: openLocksBucket on the lean request path", () => openLocksBucket(withLeanRequests(nc), names)],
    ['the handle ensureLocksBucket answers', () => ensureLocksBucket(nc, names)],
    // nats.js's create() takes direct gets whenever the stream allows them
    ['a handle of Kvm.create, which uses direct gets where the stream allows them', () => new Kvm(nc).create(names.kv.locks)],
  ];

  it.each(handles)('%s: one message get per read, present or absent', async (_label, open) => {
    const kv = await open();
    let present: Awaited<ReturnType<typeof readLease>> | undefined;
    const subjects = await apiSubjectsOf(async () => {
      present = await readLease(kv, key);
      expect(await readLease(kv, `${key}ff`)).toEqual({ status: 'absent' });
    });
    expect(present?.status).toBe('present');
    const msgGet = `$JS.API.STREAM.MSG.GET.KV_${names.kv.locks}`;
    expect(subjects).toEqual([msgGet, msgGet]);
  });

  it('a client that asks for direct gets anyway gets no answer from any server, never a stale value', async () => {
    const direct = await new Kvm(nc).open(names.kv.locks, { allow_direct: true });
    await expect(readLease(direct, key)).rejects.toThrow(/no responders/);
  });
});
