import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { createNames, type Names } from '@ops/contracts';
import { deleteTopology } from '@ops/nats';
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
