import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { jetstreamManager } from '@nats-io/jetstream';
import { createNames } from '@ops/contracts';
import { createLedgerAdminClient, createLedgerClient } from '@ops/ledger-client';
import type { Logger } from '@ops/logging';
import { assertSupportedNatsServer, connectNats, drainNats, natsCredentials } from '@ops/nats';
import { createRegistry } from '@ops/runtime';
import { createAuth } from './auth.ts';
import type { ConsoleConfig } from './config.ts';
import type { ConsoleDeps } from './deps.ts';
import { createLiveViews } from './live.ts';
import { createConsoleMetrics } from './metrics.ts';
import { createHandler } from './server.ts';
import { loadPublicFiles } from './static.ts';

export interface Console {
  /** where it listens (the server's own `address()`) */
  readonly address: AddressInfo;
  readonly deps: ConsoleDeps;
  close(): Promise<void>;
}

/** the ledger's reads answer within seconds; an action (a lock release watches for the stale time) within 30 s */
const LEDGER_TIMEOUT_MS = 5_000;

/**
 * Wires the console: NATS as its own user (no database), the ledger clients,
 * the auth, and one HTTP server on CONSOLE_HOST:CONSOLE_PORT serving the
 * probes, the API and the pages. It does not wait for the topology: the
 * health page shows what is missing.
 */
export async function startConsole(options: { config: Readonly<ConsoleConfig>; logger: Logger }): Promise<Console> {
  const { config, logger } = options;
  const names = createNames(config.NATS_PREFIX);
  const files = loadPublicFiles();
  const nc = await connectNats({
    ...natsCredentials(config),
    servers: config.NATS_URL,
    name: `console ${hostname()}:${process.pid}`,
    logger,
  });
  let server: Server | undefined;
  try {
    assertSupportedNatsServer(nc);
    const deps: ConsoleDeps = {
      nc,
      names,
      // stream and consumer info only: no $JS.API.INFO first
      jsm: await jetstreamManager(nc, { checkAPI: false, timeout: LEDGER_TIMEOUT_MS }),
      ledger: createLedgerClient(nc, names, { timeoutMs: LEDGER_TIMEOUT_MS }),
      admin: createLedgerAdminClient(nc, names),
    };
    const live = createLiveViews({ intervalMs: config.CONSOLE_LIVE_MS, maxPerSession: config.CONSOLE_LIVE_MAX });
    const registry = createRegistry('console');
    const metrics = createConsoleMetrics(registry, live);
    const handler = createHandler({ config, deps, auth: createAuth(config), live, files, logger, registry, metrics });
    const listening = createServer({ requestTimeout: 60_000, headersTimeout: 10_000 }, handler);
    server = listening;
    listening.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(config.CONSOLE_PORT, config.CONSOLE_HOST, () => resolve());
    });
    const address = listening.address() as AddressInfo;
    logger.info(
      { host: address.address, port: address.port, url: urlOf(address), auth: config.CONSOLE_AUTH, prefix: names.prefix },
      'console ready',
    );
    return {
      address,
      deps,
      async close() {
        live.closeAll();
        await new Promise<void>((resolve) => {
          listening.close(() => resolve());
          listening.closeAllConnections();
        });
        await drainNats(nc);
      },
    };
  } catch (err) {
    server?.close();
    await drainNats(nc);
    throw err;
  }
}

function urlOf(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}/`;
}
