import {
  AckPolicy,
  type ConsumerConfig,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { type NatsConnection, nanos, TimeoutError } from '@nats-io/nats-core';
import { LONGEST_COOLDOWN_SECONDS, type Names } from '@ops/contracts';
import { openLocksBucket } from './leases.ts';

/** Windows and limits of the bus; see docs/architecture.md for the why of each. */
const TOPOLOGY_DEFAULTS = {
  /** JetStream drops a re-published job with the same Nats-Msg-Id inside this window: the catalog's longest cooldown */
  duplicateWindowMs: LONGEST_COOLDOWN_SECONDS * 1000,
  /** lease/cooldown bucket TTL: an entry lives this long after its last write (the catalog's longest cooldown) */
  locksTtlMs: LONGEST_COOLDOWN_SECONDS * 1000,
  jobsMaxAgeMs: 7 * 24 * 3600 * 1000,
  ledgerMaxAgeMs: 7 * 24 * 3600 * 1000,
  dlqMaxAgeMs: 30 * 24 * 3600 * 1000,
  /** NATS' own default max_payload; our consumers enforce much smaller limits themselves */
  maxMsgBytes: 1024 * 1024,
} as const;

interface TopologyOptions {
  readonly replicas?: number;
  /** bucket TTL of ops_locks; the longest cooldown unless a test needs a short one */
  readonly locksTtlMs?: number;
}

function streamConfigs(names: Names, options: TopologyOptions = {}): StreamConfig[] {
  const num_replicas = options.replicas ?? 1;
  const d = TOPOLOGY_DEFAULTS;
  const base = {
    storage: StorageType.File,
    num_replicas,
    discard: DiscardPolicy.Old,
    max_msg_size: d.maxMsgBytes,
    duplicate_window: nanos(d.duplicateWindowMs),
  };
  return [
    {
      ...base,
      name: names.streams.jobs,
      subjects: [names.jobsWildcard],
      // a job is work: gone once a worker acks it
      retention: RetentionPolicy.Workqueue,
      max_age: nanos(d.jobsMaxAgeMs),
    } as StreamConfig,
    {
      ...base,
      name: names.streams.ledger,
      subjects: [names.ledgerEventsWildcard],
      // kept for audit and replay: applying the log again changes nothing
      retention: RetentionPolicy.Limits,
      max_age: nanos(d.ledgerMaxAgeMs),
    } as StreamConfig,
    {
      ...base,
      name: names.streams.dlq,
      subjects: [names.dlqWildcard],
      retention: RetentionPolicy.Limits,
      max_age: nanos(d.dlqMaxAgeMs),
    } as StreamConfig,
  ];
}

/** Idempotent: creates what is missing, updates what drifted. Safe to run from every replica at once. */
async function ensureStreams(nc: NatsConnection, names: Names, options: TopologyOptions = {}): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc);
  for (const cfg of streamConfigs(names, options)) {
    await upsertStream(jsm, cfg);
  }
  return jsm;
}

/**
 * Idempotent create-or-update of one stream, safe from every replica at once.
 *
 * An existing stream is updated only when a setting we own drifted: two
 * ledger replicas starting together on a fresh cluster once sent an add and a
 * no-op update of the same stream while its create was in flight, and
 * nats-server 2.10 answered neither (both replicas died at start; reproduced
 * by test/cluster/topology-race.test.ts).
 *
 * While the cluster is still settling — another replica's create is an
 * assignment whose stream is "not found" for a moment (issue #19, two-down run
 * at ac5d85f), the name is taken, peers are being placed, the meta leader is
 * busy — the step is tried again for up to `settleMs`; any other error is
 * thrown at once, and the last one at the bound.
 */
export async function upsertStream(jsm: JetStreamManager, cfg: StreamConfig, settleMs = 30_000): Promise<void> {
  await whileSettling(() => createOrUpdateStream(jsm, cfg), settleMs);
}

/** JetStream API codes that mean "not yet" on a cluster that is forming or placing a stream. */
const SETTLING_CODES: ReadonlySet<number> = new Set([
  10005, // no suitable peers for placement: a peer has not reported in yet
  10008, // JetStream system temporarily unavailable: no meta leader yet
  10023, // insufficient resources: as 10005, while peers' limits are unknown
  10058, // stream name already in use: another replica's create is in flight
]);

function isSettling(err: unknown): boolean {
  if (err instanceof TimeoutError) return true; // the meta leader is busy; our add may have gone through, the next info says
  return isNotFound(err) || (err instanceof JetStreamApiError && SETTLING_CODES.has(err.code));
}

/** `step`, again every 250 ms while the cluster is settling, for up to `settleMs`. */
async function whileSettling<T>(step: () => Promise<T>, settleMs: number): Promise<T> {
  const deadline = Date.now() + settleMs;
  for (;;) {
    try {
      return await step();
    } catch (err) {
      if (!isSettling(err) || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

async function createOrUpdateStream(jsm: JetStreamManager, cfg: StreamConfig): Promise<void> {
  let current: StreamConfig;
  try {
    current = (await jsm.streams.info(cfg.name)).config;
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.streams.add(cfg);
    return;
  }
  // retention and storage cannot change on a live stream: left as they were created
  const { name, retention: _retention, storage: _storage, ...mutable } = cfg;
  if (driftedKeys(current, mutable).length > 0) await jsm.streams.update(name, mutable);
}

/** the settings of `wanted` whose value on the server differs */
export function driftedKeys(current: object, wanted: object): string[] {
  const have = current as Record<string, unknown>;
  return Object.entries(wanted)
    .filter(([key, value]) => JSON.stringify(have[key]) !== JSON.stringify(value))
    .map(([key]) => key);
}

export async function ensureLocksBucket(nc: NatsConnection, names: Names, options: TopologyOptions = {}): Promise<KV> {
  const ttl = options.locksTtlMs ?? TOPOLOGY_DEFAULTS.locksTtlMs;
  // nats.js's create is info, then add when not found: another replica's create in flight is settling, as for streams
  await whileSettling(
    // bucket TTL, not per-key TTL: per-message TTLs need nats-server 2.11 (we run on 2.10);
    // no direct gets: every lease read is answered by the stream leader (docs/architecture.md, "Leader reads for leases")
    () => new Kvm(nc).create(names.kv.locks, { ttl, history: 1, replicas: options.replicas ?? 1, allow_direct: false }),
    30_000,
  );
  const jsm = await jetstreamManager(nc);
  await whileSettling(() => turnOffDirectGets(jsm, `KV_${names.kv.locks}`), 30_000);
  // opened after the update: a handle taken while the stream still allowed direct gets would keep using them
  return openLocksBucket(nc, names);
}

/**
 * A bucket created before leader reads (nats.js creates KV streams with
 * `allow_direct: true` on 2.10) is converted in place, so an upgraded
 * deployment converges: nats.js merges the update into the stream's current
 * config, every other setting (TTL, history, replicas) stays. Once off, no
 * replica answers `$JS.API.DIRECT.GET` for the stream: a client that still
 * tried one gets "no responders", never a follower's value.
 */
async function turnOffDirectGets(jsm: JetStreamManager, stream: string): Promise<void> {
  const info = await jsm.streams.info(stream);
  if (info.config.allow_direct) await jsm.streams.update(stream, { allow_direct: false });
}

/**
 * Streams + KV in one call (the topology owner calls this at start). Answers
 * the locks bucket's real TTL: an existing bucket keeps the TTL it was created
 * with (it is not updated here), which may not be the one asked for.
 */
export async function ensureTopology(nc: NatsConnection, names: Names, options: TopologyOptions = {}): Promise<{ locksTtlMs: number }> {
  await ensureStreams(nc, names, options);
  const kv = await ensureLocksBucket(nc, names, options);
  return { locksTtlMs: (await kv.status()).ttl };
}

interface AwaitTopologyOptions {
  /** give up after this long (the orchestrator restarts the process; ledger-service may still be starting) */
  readonly timeoutMs?: number;
  readonly pollMs?: number;
  readonly onWait?: (missing: string) => void;
}

/**
 * For processes that do not own the topology (worker, housekeeping): waits
 * until ledger-service has created the streams and the locks bucket. They
 * only read stream info — their NATS users may not create or update streams
 * (docs/security.md), so a missing stream means "ledger-service not up yet".
 */
export async function awaitTopology(nc: NatsConnection, names: Names, options: AwaitTopologyOptions = {}): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc);
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const required = [names.streams.jobs, names.streams.ledger, names.streams.dlq, `KV_${names.kv.locks}`];
  for (const stream of required) {
    for (;;) {
      try {
        await jsm.streams.info(stream);
        break;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        if (Date.now() >= deadline) {
          throw new Error(
            `JetStream stream ${stream} does not exist — ledger-service creates the topology; start it (or check NATS_PREFIX)`,
          );
        }
        options.onWait?.(stream);
        await new Promise((r) => setTimeout(r, options.pollMs ?? 1_000));
      }
    }
  }
  return jsm;
}

/** Creates (or, when its settings drifted, updates) a durable pull consumer with explicit acks. */
export async function ensureDurableConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: Partial<ConsumerConfig> & { durable_name: string },
): Promise<void> {
  const cfg: Partial<ConsumerConfig> = { ack_policy: AckPolicy.Explicit, ...config };
  try {
    await jsm.consumers.add(stream, cfg);
  } catch (err) {
    if (!(err instanceof JetStreamApiError)) throw err;
    const { ack_wait, max_deliver, max_ack_pending, backoff, description } = cfg;
    await jsm.consumers.update(stream, config.durable_name, { ack_wait, max_deliver, max_ack_pending, backoff, description });
  }
}

export function isNotFound(err: unknown): boolean {
  if (err instanceof JetStreamApiError) {
    return err.code === JetStreamApiCodes.StreamNotFound || err.code === JetStreamApiCodes.ConsumerNotFound || err.status === 404;
  }
  return false;
}

/** Removes every stream and bucket of a prefix (tests and `--fresh` dev resets only). */
export async function deleteTopology(nc: NatsConnection, names: Names): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const name of [names.streams.jobs, names.streams.ledger, names.streams.dlq, `KV_${names.kv.locks}`]) {
    try {
      await jsm.streams.delete(name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
