import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AckPolicy, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { createNames } from '@ops/contracts';
import { ensureDurableConsumer, ensureTopology } from '@ops/nats';
import { Registry } from '@ops/runtime';
import { cleanupNats, connectTestNats, type OwnNatsServer, ROOT, startNatsServer, uniqueNames } from '@ops/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NATS_USERS, natsPermissions } from '../../../deploy/nats/permissions.ts';
import { type BusReading, readBus, registerBusMetrics } from '../src/bus-metrics.ts';

/** The bus gauges against the real server: what each reads, the cache, the timeout. */
const names = uniqueNames();
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  nc = await connectTestNats();
  await ensureTopology(nc, names);
  jsm = await jetstreamManager(nc);
  await ensureDurableConsumer(jsm, names.streams.ledger, {
    durable_name: names.consumers.ledgerEvents,
    filter_subject: names.ledgerEventsWildcard,
    ack_policy: AckPolicy.Explicit,
  });
  const js = jetstream(nc);
  for (let i = 0; i < 3; i += 1) await js.publish(names.jobSubject('assignments.fetch'), `{"job":${i}}`);
  for (let i = 0; i < 2; i += 1) await js.publish(names.ledgerEventSubject('progress'), `{"event":${i}}`);
  await js.publish(names.dlqSubject('ledger'), '{}');
  await js.publish(names.dlqSubject('assignment-worker'), '{}');
  await js.publish(names.dlqSubject('assignment-worker'), '{}');
});
afterAll(async () => {
  await cleanupNats(nc, names);
});

/** the value of one series in the text exposition, or undefined when absent */
async function sample(registry: Registry, series: string): Promise<number | undefined> {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('readBus', () => {
  it('reads the jobs backlog, the oldest job age, the ledger lag and the dead letters by origin', async () => {
    const reading = await readBus(jsm, names, new Date(Date.now() + 60_000));
    expect(reading.jobsBacklog).toBe(3);
    // the first job was stored just before "now" (a minute ahead)
    expect(reading.oldestJobSeconds).toBeGreaterThan(59);
    expect(reading.oldestJobSeconds).toBeLessThan(90);
    expect(reading.ledgerLag).toBe(2);
    expect(reading.deadLetters).toEqual({ ledger: 1, 'assignment-worker': 2 });
  });

  it('an acknowledged job leaves the backlog (work queue)', async () => {
    const consumer = `${names.prefix}-probe`;
    await jsm.consumers.add(names.streams.jobs, { durable_name: consumer, ack_policy: AckPolicy.Explicit });
    const msg = await (await jetstream(nc).consumers.get(names.streams.jobs, consumer)).next();
    await msg?.ackAck();
    expect((await readBus(jsm, names)).jobsBacklog).toBe(2);
    await jsm.consumers.delete(names.streams.jobs, consumer);
  });
});

describe('registerBusMetrics', () => {
  it('exports the reading on scrape, labelled by stream, consumer and origin', async () => {
    const registry = new Registry();
    registerBusMetrics(registry, { names, read: () => readBus(jsm, names) });
    const jobs = `{stream="${names.streams.jobs}"}`;
    expect(await sample(registry, `ops_jobs_backlog_messages${jobs}`)).toBe(2);
    expect(await sample(registry, `ops_jobs_oldest_queued_seconds${jobs}`)).toBeGreaterThanOrEqual(0);
    expect(
      await sample(registry, `ops_ledger_events_lag_messages{stream="${names.streams.ledger}",consumer="${names.consumers.ledgerEvents}"}`),
    ).toBe(2);
    expect(await sample(registry, 'ops_dlq_messages{origin="assignment-worker"}')).toBe(2);
    expect(await sample(registry, 'ops_bus_read_ok')).toBe(1);
  });

  it('one reading serves every gauge of a scrape and the scrapes inside cacheMs; a later scrape reads again', async () => {
    let clock = 0;
    let reads = 0;
    const registry = new Registry();
    registerBusMetrics(registry, {
      names,
      cacheMs: 5_000,
      now: () => clock,
      read: async () => {
        reads += 1;
        return { jobsBacklog: reads, oldestJobSeconds: 0, ledgerLag: 0, deadLetters: {} };
      },
    });
    const backlog = `ops_jobs_backlog_messages{stream="${names.streams.jobs}"}`;
    expect(await sample(registry, backlog)).toBe(1);
    clock = 4_999;
    expect(await sample(registry, backlog)).toBe(1);
    expect(reads).toBe(1);
    clock = 5_000;
    expect(await sample(registry, backlog)).toBe(2);
  });

  it('a read that fails or hangs past timeoutMs: the gauges are absent and ops_bus_read_ok is 0, the scrape still answers', async () => {
    const registry = new Registry();
    let clock = 0;
    let read: () => Promise<BusReading> = () => new Promise<BusReading>(() => undefined);
    registerBusMetrics(registry, { names, timeoutMs: 50, cacheMs: 1_000, now: () => clock, read: () => read() });
    const started = Date.now();
    const text = await registry.metrics();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(text).not.toMatch(/^ops_jobs_backlog_messages\{/m);
    expect(text).toMatch(/^ops_bus_read_ok 0$/m);
    clock = 1_000;
    read = () => Promise.reject(new Error('permissions violation'));
    expect(await sample(registry, 'ops_bus_read_ok')).toBe(0);
    expect(await sample(registry, 'ops_dlq_messages{origin="ledger"}')).toBeUndefined();
  });
});

describe('readBus as the housekeeping NATS user (deploy/nats: nats.conf + auth.conf)', () => {
  const password = `s${randomBytes(12).toString('hex')}`;
  let server: OwnNatsServer;
  beforeAll(async () => {
    // every user gets the same password here: only the housekeeping user's rights are under test
    const env = Object.fromEntries(NATS_USERS.map((u) => [natsPermissions()[u].passwordEnv, password]));
    server = await startNatsServer({ configFile: join(ROOT, 'deploy/nats/nats.conf'), env });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('may read everything the gauges need (the ledger user created the topology and its consumer)', async () => {
    const prod = createNames('');
    const ledger = await connect({ servers: server.url, user: 'ledger', pass: password, inboxPrefix: '_INBOX.ledger' });
    await ensureTopology(ledger, prod);
    await ensureDurableConsumer(await jetstreamManager(ledger), prod.streams.ledger, {
      durable_name: prod.consumers.ledgerEvents,
      filter_subject: prod.ledgerEventsWildcard,
      ack_policy: AckPolicy.Explicit,
    });
    await ledger.close();
    const housekeeping = await connect({ servers: server.url, user: 'housekeeping', pass: password, inboxPrefix: '_INBOX.housekeeping' });
    try {
      const reading = await readBus(await jetstreamManager(housekeeping), prod);
      expect(reading).toEqual({ jobsBacklog: 0, oldestJobSeconds: 0, ledgerLag: 0, deadLetters: {} });
    } finally {
      await housekeeping.close();
    }
  });
});
