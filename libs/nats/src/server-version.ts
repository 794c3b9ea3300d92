import type { NatsConnection } from '@nats-io/nats-core';

/**
 * The oldest nats-server the services run on: 2.10. It is what compose and
 * the manifests deploy and what every test runs against (docs/architecture.md,
 * "NATS server version"); 2.9 lacks what later work relies on (consumer
 * `filter_subjects`, honoured `msg.term(reason)`, per-message TTLs on 2.11),
 * and no test proves the protocol on it any more.
 */
export const MIN_NATS_SERVER = { major: 2, minor: 10 } as const;

/** true for a `major.minor.patch[-pre]` at or above the minimum */
export function isSupportedNatsServer(version: string): boolean {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > MIN_NATS_SERVER.major || (major === MIN_NATS_SERVER.major && minor >= MIN_NATS_SERVER.minor);
}

/** Refuses, with one clear line, a connection to a server older than the minimum (checked at start). */
export function assertSupportedNatsServer(nc: NatsConnection): void {
  const version = nc.info?.version ?? 'of unknown version';
  if (isSupportedNatsServer(version)) return;
  const min = `${MIN_NATS_SERVER.major}.${MIN_NATS_SERVER.minor}`;
  throw new Error(
    `nats-server ${version} at ${nc.getServer()} is older than ${min}, the oldest this system runs on — upgrade it (compose and the manifests deploy 2.10.27)`,
  );
}
