import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { createNames, type Names } from '@ops/contracts';
import { deleteTopology } from '@ops/nats';
import { vi } from 'vitest';
import { testEnv } from './env.ts';

/** A NATS prefix of its own for one test file (streams, KV, subjects, consumers, service names). */
export function uniqueNames(): Names {
  return createNames(`t${randomBytes(5).toString('hex')}`);
}

export async function connectTestNats(): Promise<NatsConnection> {
  return connect({ servers: testEnv.NATS_URL, timeout: 5_000 });
}

/** Deletes the prefix's streams and bucket, then closes the connection. */
export async function cleanupNats(nc: NatsConnection, names: Names): Promise<void> {
  try {
    await deleteTopology(nc, names);
  } finally {
    await nc.close();
  }
}

/**
 * Waits until a durable consumer has nothing pending and nothing unacknowledged: its stream is
 * processed up to now (the ledger applied every event, the workers settled every job). Fails after
 * `timeoutMs`; usable in hooks too (vi.waitFor).
 */
export async function consumerDrained(
  nc: NatsConnection,
  stream: string,
  consumer: string,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await vi.waitFor(
    async () => {
      const info = await jsm.consumers.info(stream, consumer);
      const left = info.num_pending + info.num_ack_pending;
      if (left > 0) throw new Error(`${stream}/${consumer}: ${left} messages pending or unacknowledged`);
    },
    { timeout: options.timeoutMs ?? 10_000, interval: options.intervalMs ?? 50 },
  );
}
