import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { type Names, sanitizeMessage } from '@ops/contracts';
import { isNotFound } from '@ops/nats';

/** One answering instance of a micro service ($SRV.STATS): who, which version, up since when. */
export interface InstanceHealth {
  id: string;
  version: string;
  started: string;
  uptime_seconds: number;
  /** requests and errors over all its endpoints since it started */
  requests: number;
  errors: number;
}

export interface ConsumerHealth {
  stream: string;
  consumer: string;
  /** false: the consumer does not exist (its service never started on this prefix) or could not be read */
  ok: boolean;
  num_pending: number | null;
  num_ack_pending: number | null;
  /** pull requests waiting: how many pullers are connected and idle */
  num_waiting: number | null;
  error: string | null;
}

export interface StreamHealth {
  stream: string;
  ok: boolean;
  messages: number | null;
  bytes: number | null;
  /** age of the oldest message held (null: none, or unreadable) */
  oldest_age_seconds: number | null;
  consumers: number | null;
  error: string | null;
}

export interface HealthJson {
  services: Array<{ name: string; service: string; instances: InstanceHealth[] }>;
  consumers: ConsumerHealth[];
  streams: StreamHealth[];
}

/** how long a discovery request collects answers after the last one (every instance answers at once) */
const STALL_MS = 250;
const DISCOVERY_MAX_MS = 1_500;

/**
 * The health page: the micro services' instances ($SRV.STATS of ops_ledger
 * and ops_housekeeping — the worker is seen through its consumer), the two
 * durable consumers' lag and waiting pullers, and each stream's size and
 * oldest message. A part that cannot be read says so; the rest still shows.
 */
export async function readHealth(nc: NatsConnection, jsm: JetStreamManager, names: Names, now: Date = new Date()): Promise<HealthJson> {
  const [ledger, housekeeping, consumers, streams] = await Promise.all([
    instances(nc, names.services.ledger, now),
    instances(nc, names.services.housekeeping, now),
    Promise.all([
      consumer(jsm, names.streams.jobs, names.consumers.assignmentWorker),
      consumer(jsm, names.streams.ledger, names.consumers.ledgerEvents),
    ]),
    Promise.all([names.streams.jobs, names.streams.ledger, names.streams.dlq].map((s) => stream(jsm, s, now))),
  ]);
  return {
    services: [
      { name: 'ledger', service: names.services.ledger, instances: ledger },
      { name: 'housekeeping', service: names.services.housekeeping, instances: housekeeping },
    ],
    consumers,
    streams,
  };
}

async function instances(nc: NatsConnection, service: string, now: Date): Promise<InstanceHealth[]> {
  const found: InstanceHealth[] = [];
  try {
    const replies = await nc.requestMany(`$SRV.STATS.${service}`, '', { strategy: 'stall', stall: STALL_MS, maxWait: DISCOVERY_MAX_MS });
    for await (const msg of replies) {
      const s = msg.json<{
        id?: string;
        version?: string;
        started?: string;
        endpoints?: Array<{ num_requests?: number; num_errors?: number }>;
      }>();
      const started = typeof s.started === 'string' ? s.started : '';
      const startedMs = Date.parse(started);
      found.push({
        id: String(s.id ?? ''),
        version: String(s.version ?? ''),
        started,
        uptime_seconds: Number.isNaN(startedMs) ? 0 : Math.max(0, Math.floor((now.getTime() - startedMs) / 1000)),
        requests: (s.endpoints ?? []).reduce((n, e) => n + (e.num_requests ?? 0), 0),
        errors: (s.endpoints ?? []).reduce((n, e) => n + (e.num_errors ?? 0), 0),
      });
    }
  } catch {
    // no responders: no instance is running (an empty list says it)
  }
  return found.sort((a, b) => a.id.localeCompare(b.id));
}

async function consumer(jsm: JetStreamManager, stream: string, name: string): Promise<ConsumerHealth> {
  try {
    const info = await jsm.consumers.info(stream, name);
    return {
      stream,
      consumer: name,
      ok: true,
      num_pending: info.num_pending,
      num_ack_pending: info.num_ack_pending,
      num_waiting: info.num_waiting,
      error: null,
    };
  } catch (err) {
    return { stream, consumer: name, ok: false, num_pending: null, num_ack_pending: null, num_waiting: null, error: problem(err) };
  }
}

async function stream(jsm: JetStreamManager, name: string, now: Date): Promise<StreamHealth> {
  try {
    const { state, config } = await jsm.streams.info(name);
    const oldest = state.messages > 0 ? Math.max(0, Math.floor((now.getTime() - Date.parse(state.first_ts)) / 1000)) : null;
    return {
      stream: config.name,
      ok: true,
      messages: state.messages,
      bytes: state.bytes,
      oldest_age_seconds: oldest,
      consumers: state.consumer_count,
      error: null,
    };
  } catch (err) {
    return { stream: name, ok: false, messages: null, bytes: null, oldest_age_seconds: null, consumers: null, error: problem(err) };
  }
}

function problem(err: unknown): string {
  return isNotFound(err) ? 'not found' : sanitizeMessage(err, { maxLength: 200 });
}
