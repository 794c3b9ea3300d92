import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@ops/logging';
import { createTokenRegistry, type FakeContext } from './context.ts';
import { type Assignment, createAssignmentStore } from './data.ts';
import { createFaultState, type Faults, faultsSchema } from './faults.ts';
import { sendJson } from './http.ts';
import { createProbeRecorder, type Probe } from './probe.ts';
import { type ControlActions, handleControl } from './routes/control.ts';
import { handleGraphCall, matchGraphCall } from './routes/graph.ts';
import { handleToken } from './routes/token.ts';

export type { Assignment } from './data.ts';
export type { Faults } from './faults.ts';
export type { KeyProbe, Probe } from './probe.ts';

/**
 * A real HTTP server standing in for Microsoft Graph and its token endpoint,
 * with fault injection and a probe of what it was asked. Runs in-process
 * (tests) or as its own process (main.ts: docker-compose, benchmarks).
 */
export interface FakeGraph {
  /** e.g. http://127.0.0.1:8090 — both the authority and the Graph URL */
  readonly url: string;
  readonly port: number;
  /** replaces the faults (counters start again, the PRNG is re-seeded) */
  setFaults(faults: Faults): void;
  /** faults back to those given at start; probe and assigned data cleared */
  reset(): void;
  probe(): Probe;
  /** exactly what the list endpoint returns for this tenant/policy */
  truth(tenant: string, policy: string): Assignment[];
  /** every issued token becomes unknown, as if revoked (tests the client's refresh-on-401) */
  revokeTokens(): void;
  /** access tokens issued so far (for leak tests) */
  issuedTokens(): string[];
  close(): Promise<void>;
}

export interface FakeGraphOptions {
  readonly port: number;
  /** default 127.0.0.1 */
  readonly host?: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** assignments per list page, default 2 (small, so paging is always exercised) */
  readonly pageSize?: number;
  readonly faults?: Faults;
  readonly logger?: Logger;
}

export async function startFakeGraph(options: FakeGraphOptions): Promise<FakeGraph> {
  const host = options.host ?? '127.0.0.1';
  const initialFaults = faultsSchema.parse(options.faults ?? {});
  const closing = new AbortController();
  let url = '';
  const context: FakeContext = {
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    pageSize: options.pageSize ?? 2,
    origin: () => url,
    store: createAssignmentStore(),
    faults: createFaultState(initialFaults),
    probe: createProbeRecorder(),
    tokens: createTokenRegistry(),
    closing: closing.signal,
  };
  const actions: ControlActions = {
    setFaults: (faults: Faults) => context.faults.set(faults),
    reset() {
      context.faults.set(initialFaults);
      context.probe.reset();
      context.store.reset();
    },
    revokeTokens: () => context.tokens.revokeAll(),
  };

  const server = createServer((req, res) => {
    route(context, actions, req, res).catch((err: unknown) => {
      options.logger?.error({ err, method: req.method }, 'fake-graph request failed');
      sendJson(res, 500, { error: { code: 'InternalError', message: 'fake-graph failed' } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://${urlHost(host)}:${port}`;
  options.logger?.info({ port, url }, 'fake-graph ready');

  return {
    url,
    port,
    ...actions,
    probe: () => context.probe.snapshot(),
    truth: (tenant, policy) => context.store.get(tenant, policy),
    issuedTokens: () => context.tokens.issued(),
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function route(context: FakeContext, actions: ControlActions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fake-graph.invalid');
  let segments: string[];
  try {
    segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    sendJson(res, 400, { error: { code: 'BadRequest', message: 'Malformed path.' } });
    return;
  }
  const method = req.method ?? 'GET';
  if (method === 'POST' && segments.length === 4 && segments[1] === 'oauth2' && segments[2] === 'v2.0' && segments[3] === 'token') {
    await handleToken(context, req, res, segments[0]!);
    return;
  }
  const call = matchGraphCall(method, segments);
  if (call) {
    await handleGraphCall(context, req, res, url, call);
    return;
  }
  if (await handleControl(context, actions, req, res, segments)) return;
  sendJson(res, 404, { error: { code: 'ResourceNotFound', message: 'No such route.' } });
}

/** A wildcard listen address is reached via loopback; IPv6 literals need brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
