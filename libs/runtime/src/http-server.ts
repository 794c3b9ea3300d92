import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** A readiness check: name → async predicate (true = ready). */
type ReadinessChecks = Record<string, () => Promise<boolean> | boolean>;

export interface OpsHttpServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * /healthz: the process is alive and its event loop turns (liveness).
 * /readyz: every dependency check passes (NATS, DB, …) — 503 otherwise,
 *          with the failing check names so an operator sees which.
 * /metrics: Prometheus text format.
 */
export async function startOpsHttpServer(options: {
  readonly port: number;
  readonly host?: string;
  readonly registry: Registry;
  readonly readiness: ReadinessChecks;
}): Promise<OpsHttpServer> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET') {
        res.writeHead(405).end();
        return;
      }
      if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
        return;
      }
      if (path === '/readyz') {
        const checks: Record<string, boolean> = {};
        for (const [name, check] of Object.entries(options.readiness)) {
          try {
            checks[name] = await check();
          } catch {
            checks[name] = false;
          }
        }
        const ready = Object.values(checks).every(Boolean);
        res
          .writeHead(ready ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: ready ? 'ready' : 'not_ready', checks }));
        return;
      }
      if (path === '/metrics') {
        const body = await options.registry.metrics();
        res.writeHead(200, { 'content-type': options.registry.contentType }).end(body);
        return;
      }
      res.writeHead(404).end();
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
