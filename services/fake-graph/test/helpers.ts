import { type FakeGraph, type FakeGraphOptions, startFakeGraph } from '../src/server.ts';

/** Shared by the fake's tests: a fake on a free port, and raw HTTP calls against it. */
export const CLIENT = { clientId: 'test-client', clientSecret: 'test-secret-value-123' } as const;

export function startTestFake(options: Partial<FakeGraphOptions> = {}): Promise<FakeGraph> {
  return startFakeGraph({ port: 0, ...CLIENT, ...options });
}

export async function getToken(fake: FakeGraph, tenant: string, secret: string = CLIENT.clientSecret): Promise<Response> {
  return fetch(`${fake.url}/${tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({ client_id: CLIENT.clientId, client_secret: secret, grant_type: 'client_credentials', scope: 'x' }),
  });
}

export async function tokenFor(fake: FakeGraph, tenant: string): Promise<string> {
  const res = await getToken(fake, tenant);
  return ((await res.json()) as { access_token: string }).access_token;
}

export function assignmentsUrl(fake: FakeGraph, policy: string): string {
  return `${fake.url}/beta/deviceManagement/deviceConfigurations/${encodeURIComponent(policy)}/assignments`;
}

export function list(fake: FakeGraph, token: string, policy: string): Promise<Response> {
  return fetch(assignmentsUrl(fake, policy), { headers: { authorization: `Bearer ${token}` } });
}

export function assign(fake: FakeGraph, token: string, policy: string, assignments: unknown[]): Promise<Response> {
  return fetch(assignmentsUrl(fake, policy).replace(/assignments$/, 'assign'), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ assignments }),
  });
}
