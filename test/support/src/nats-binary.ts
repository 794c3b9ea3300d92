import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './process.ts';

let resolved: string | undefined;

/**
 * The nats-server the tests start: what `.ci/nats-server.sh` names (Debian
 * trixie's 2.10, the version compose and the manifests deploy, fetched into
 * .tools/ — or NATS_SERVER_BIN). The global setup resolves it once and puts it
 * in NATS_SERVER_BIN for the test processes.
 */
export function natsServerBinary(): string {
  resolved ??= execFileSync('bash', [join(ROOT, '.ci/nats-server.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return resolved;
}

/** bookworm's nats-server 2.9 of this machine: only to show that the services refuse a server older than 2.10 */
export const MACHINE_NATS_SERVER = '/usr/sbin/nats-server';
