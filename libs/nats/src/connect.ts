import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';

export type { NatsConnection } from '@nats-io/nats-core';

interface ConnectOptions {
  readonly servers: readonly string[];
  /** connection name shown by `nats server report connections` */
  readonly name: string;
  readonly logger: Logger;
  readonly user?: string | undefined;
  readonly pass?: string | undefined;
  /**
   * Inbox prefix for replies. With authentication each user may subscribe only to
   * its own `_INBOX.<user>.>` (docs/security.md), so nobody can read another's replies.
   */
  readonly inboxPrefix?: string | undefined;
  /** give up the first connect after this long (services retry forever once connected) */
  readonly connectTimeoutMs?: number;
}

/** user, password and inbox prefix from the shared keys NATS_USER / NATS_PASSWORD (no user: no auth, default inbox). */
export function natsCredentials(config: {
  readonly NATS_USER: string;
  readonly NATS_PASSWORD: string;
}): Pick<ConnectOptions, 'user' | 'pass' | 'inboxPrefix'> {
  if (config.NATS_USER === '') return {};
  return { user: config.NATS_USER, pass: config.NATS_PASSWORD, inboxPrefix: `_INBOX.${config.NATS_USER}` };
}

/**
 * Connects with unlimited reconnects: a NATS restart must not kill a service,
 * it must resume where it was (the JetStream consumers are durable).
 */
export async function connectNats(options: ConnectOptions): Promise<NatsConnection> {
  const nc = await connect({
    servers: [...options.servers],
    name: options.name,
    user: options.user,
    pass: options.pass,
    ...(options.inboxPrefix ? { inboxPrefix: options.inboxPrefix } : {}),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    reconnectJitter: 250,
    pingInterval: 10_000,
    timeout: options.connectTimeoutMs ?? 5_000,
    // no Error with a captured stack per request, publish and pull "just in case it times out"
    // (issue #18: ~27 per run in the worker); a timeout still says what timed out
    noAsyncTraces: true,
  });
  void watchStatus(nc, options.logger);
  return nc;
}

/** whether each connection of this process is connected now, kept by watchStatus */
const connected = new WeakMap<NatsConnection, boolean>();

async function watchStatus(nc: NatsConnection, logger: Logger): Promise<void> {
  connected.set(nc, true);
  for await (const s of nc.status()) {
    switch (s.type) {
      case 'disconnect':
      case 'reconnecting':
      case 'staleConnection':
        connected.set(nc, false);
        logger.warn({ nats: s.type, server: 'server' in s ? s.server : undefined }, 'nats connection lost');
        break;
      case 'reconnect':
        connected.set(nc, true);
        logger.info({ nats: s.type, server: s.server }, 'nats reconnected');
        break;
      case 'error':
        logger.error({ nats: s.type, err: s.error }, 'nats async error');
        break;
      default:
        break;
    }
  }
}

/**
 * True while the connection is up now. nats.js buffers what it is asked to
 * send while it reconnects and flushes it afterwards — an ack or a lease write
 * issued during a cut would arrive after the cut, perhaps after another
 * worker took the job over. A fenced holder issues nothing unless this is
 * true (docs/architecture.md, "Fencing").
 */
export function natsConnected(nc: NatsConnection): boolean {
  return connected.get(nc) !== false && !nc.isClosed() && !nc.isDraining();
}

/** True while the connection can carry requests (for /readyz). */
export function natsReady(nc: NatsConnection): boolean {
  return !nc.isClosed() && !nc.isDraining() && nc.getServer() !== '';
}

/** Graceful close: drain subscriptions (in-flight handlers finish), then close. Idempotent. */
export async function drainNats(nc: NatsConnection): Promise<void> {
  if (nc.isClosed() || nc.isDraining()) {
    await nc.closed();
    return;
  }
  try {
    await nc.drain();
  } catch {
    await nc.close().catch(() => undefined);
  }
}
