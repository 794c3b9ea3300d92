import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AssignmentStore } from './data.ts';
import type { FaultState } from './faults.ts';
import type { ProbeRecorder } from './probe.ts';

/** Everything the routes share: credentials, data, faults, probe and issued tokens. */
export interface FakeContext {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly pageSize: number;
  /** the fake's own origin, for paging links when a request carries no Host header */
  readonly origin: () => string;
  readonly store: AssignmentStore;
  readonly faults: FaultState;
  readonly probe: ProbeRecorder;
  readonly tokens: TokenRegistry;
  /** aborts on close(), so pending latency waits end with the server */
  readonly closing: AbortSignal;
}

export interface TokenRegistry {
  issue(tenant: string): string;
  tenantOf(token: string): string | undefined;
  issued(): string[];
  revokeAll(): void;
}

export function createTokenRegistry(): TokenRegistry {
  const tenants = new Map<string, string>();
  return {
    issue(tenant) {
      const token = randomBytes(32).toString('base64url');
      tenants.set(token, tenant);
      return token;
    },
    tenantOf: (token) => tenants.get(token),
    issued: () => [...tenants.keys()],
    revokeAll: () => tenants.clear(),
  };
}

/** The Graph error body; with echoSecretsInErrors it repeats what a careless peer might. */
export function errorBody(context: FakeContext, req: IncomingMessage, code: string, message: string): unknown {
  if (!context.faults.current().echoSecretsInErrors) return { error: { code, message } };
  const echoed = `${message} (request authorization: ${req.headers.authorization ?? 'none'}; client_secret=${context.clientSecret})`;
  return { error: { code, message: echoed, innerError: { authorization: req.headers.authorization ?? null } } };
}
