import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { type NatsConnection, nanos } from '@nats-io/nats-core';
import { cleanupNats, connectTestNats, uniqueNames } from '@ops/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awaitTopology, ensureDurableConsumer, ensureTopology } from '../src/topology.ts';

/** The bus topology against the real server: names, windows, idempotency under concurrency. */
const names = uniqueNames();
let nc: NatsConnection;

beforeAll(async () => {
  nc = await connectTestNats();
});
afterAll(async () => {
  await cleanupNats(nc, names);
});

describe('ensureTopology', () => {
  it('is idempotent, also when several processes run it at once', async () => {
    await Promise.all([ensureTopology(nc, names), ensureTopology(nc, names), ensureTopology(nc, names)]);
    await ensureTopology(nc, names);
    const jsm = await jetstreamManager(nc);
    const streams: string[] = [];
    for await (const s of jsm.streams.list())
      if (s.config.name.startsWith(names.prefix) || s.config.name === `KV_${names.kv.locks}`) streams.push(s.config.name);
    expect(streams.sort()).toEqual([`KV_${names.kv.locks}`, names.streams.dlq, names.streams.jobs, names.streams.ledger].sort());
  });

  it('OPS_JOBS: work queue on ops.jobs.> with a 15-minute duplicate window', async () => {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(names.streams.jobs);
    expect(info.config.subjects).toEqual([`${names.prefix}.ops.jobs.>`]);
    expect(info.config.retention).toBe('workqueue');
    expect(info.config.duplicate_window).toBe(nanos(15 * 60 * 1000));
    const ledger = await jsm.streams.info(names.streams.ledger);
    expect(ledger.config.subjects).toEqual([`${names.prefix}.ops.ledger.events.>`]);
    const dlq = await jsm.streams.info(names.streams.dlq);
    expect(dlq.config.subjects).toEqual([`${names.prefix}.ops.dlq.>`]);
  });

  it('JetStream drops a job re-published with the same Nats-Msg-Id inside the window', async () => {
    const { jetstream } = await import('@nats-io/jetstream');
    const js = jetstream(nc);
    const first = await js.publish(names.jobSubject('assignments.fetch'), '{}', { msgID: 'run-1' });
    const again = await js.publish(names.jobSubject('assignments.fetch'), '{}', { msgID: 'run-1' });
    expect(first.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    expect(again.seq).toBe(first.seq);
  });

  it('KV ops_locks has a 15-minute bucket TTL', async () => {
    const kv = await new Kvm(nc).open(names.kv.locks);
    const status = await kv.status();
    expect(status.ttl).toBe(15 * 60 * 1000);
    expect(status.history).toBe(1);
  });

  it('ensureDurableConsumer creates once and updates a drifted setting', async () => {
    const jsm = await jetstreamManager(nc);
    const cfg = {
      durable_name: `${names.prefix}_probe`,
      filter_subject: names.ledgerEventsWildcard,
      ack_wait: nanos(30_000),
      max_deliver: -1,
    };
    await ensureDurableConsumer(jsm, names.streams.ledger, cfg);
    await ensureDurableConsumer(jsm, names.streams.ledger, cfg);
    await ensureDurableConsumer(jsm, names.streams.ledger, { ...cfg, ack_wait: nanos(45_000) });
    const info = await jsm.consumers.info(names.streams.ledger, cfg.durable_name);
    expect(info.config.ack_wait).toBe(nanos(45_000));
  });
});

describe('KV ops_locks: leader reads only (docs/architecture.md, "Leader reads for leases")', () => {
  it('a new bucket is created with direct gets off', async () => {
    const fresh = uniqueNames();
    const owner = await connectTestNats();
    try {
      await ensureTopology(owner, fresh);
      const info = await (await jetstreamManager(owner)).streams.info(`KV_${fresh.kv.locks}`);
      expect(info.config.allow_direct).toBe(false);
    } finally {
      await cleanupNats(owner, fresh);
    }
  });

  it('an existing bucket with direct gets on (created before) is turned off in place: TTL, history and entries kept, no direct get answered', async () => {
    const upgraded = uniqueNames();
    const owner = await connectTestNats();
    try {
      // the bucket as earlier versions created it: nats.js's default on 2.10 is allow_direct: true
      const old = await new Kvm(owner).create(upgraded.kv.locks, { ttl: 60_000, history: 1 });
      await old.put('assignments.fetch.abc', '{"old":true}');
      const jsm = await jetstreamManager(owner);
      const stream = `KV_${upgraded.kv.locks}`;
      expect((await jsm.streams.info(stream)).config.allow_direct).toBe(true);

      await Promise.all([ensureTopology(owner, upgraded), ensureTopology(owner, upgraded)]);

      const info = await jsm.streams.info(stream);
      expect(info.config.allow_direct).toBe(false);
      expect(info.config.max_age).toBe(nanos(60_000));
      expect(info.config.max_msgs_per_subject).toBe(1);
      expect(info.state.messages).toBe(1);
      // the server itself no longer answers a direct get: a client that still sent one fails, it never reads a follower
      await expect(old.get('assignments.fetch.abc')).rejects.toThrow(/no responders/);
    } finally {
      await cleanupNats(owner, upgraded);
    }
  });
});

describe('awaitTopology (worker, housekeeping: they may only read stream info)', () => {
  it('waits until the owner has created every stream and the bucket, reporting what is missing', async () => {
    const late = uniqueNames();
    const owner = await connectTestNats();
    try {
      const missing: string[] = [];
      const waiting = awaitTopology(nc, late, { pollMs: 50, timeoutMs: 20_000, onWait: (s) => missing.push(s) });
      await expect.poll(() => missing.length).toBeGreaterThan(0);
      expect(missing[0]).toBe(late.streams.jobs);
      await ensureTopology(owner, late);
      await expect(waiting).resolves.toBeDefined();
    } finally {
      await cleanupNats(owner, late);
    }
  });

  it('gives up after its timeout with a message naming the stream and ledger-service', async () => {
    const never = uniqueNames();
    await expect(awaitTopology(nc, never, { pollMs: 50, timeoutMs: 300 })).rejects.toThrow(
      new RegExp(`stream ${never.streams.jobs} does not exist — ledger-service creates the topology`),
    );
  });
});
