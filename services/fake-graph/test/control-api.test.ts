import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derivedAssignments } from '../src/data.ts';
import type { FakeGraph } from '../src/server.ts';
import { list, startTestFake, tokenFor } from './helpers.ts';

/** The control API as docker-compose and benchmarks use it: plain HTTP, no in-process handle. */
let fake: FakeGraph;

beforeAll(async () => {
  // start-time faults are what reset() returns to
  fake = await startTestFake({ faults: { failPolicies: { 'always-gone': 404 } } });
});
afterAll(() => fake.close());

const control = (path: string, init?: RequestInit) => fetch(`${fake.url}/_fake/${path}`, init);
const putFaults = (faults: unknown) =>
  control('faults', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(faults) });

describe('control API over HTTP', () => {
  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${fake.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${fake.url}/readyz`)).status).toBe(200);
  });

  it('sets faults, shows the probe and the truth, and resets to the start-time faults', async () => {
    const token = await tokenFor(fake, 'tenant-x');
    expect((await putFaults({ throttle: { count: 1, retryAfterSeconds: 2 } })).status).toBe(204);
    expect(await (await control('faults')).json()).toEqual({ throttle: { count: 1, retryAfterSeconds: 2 } });
    expect((await list(fake, token, 'p1')).status).toBe(429);
    expect((await list(fake, token, 'p1')).status).toBe(200);
    expect((await list(fake, token, 'always-gone')).status).toBe(200);

    const probe = (await (await control('probe')).json()) as { token_calls: number; by_key: Record<string, { status_counts: unknown }> };
    expect(probe.token_calls).toBe(1);
    expect(probe.by_key['tenant-x/p1']?.status_counts).toEqual({ '429': 1, '200': 1 });

    const truth = await (await control('truth/tenant-x/p1')).json();
    expect(truth).toEqual(derivedAssignments('tenant-x', 'p1'));
    expect(truth).toEqual(fake.truth('tenant-x', 'p1'));

    expect((await control('reset', { method: 'POST' })).status).toBe(204);
    expect(await (await control('probe')).json()).toEqual({ total_calls: 0, token_calls: 0, by_key: {} });
    expect((await list(fake, token, 'always-gone')).status).toBe(404);
  });

  it('refuses invalid faults with the problems named', async () => {
    const res = await putFaults({ throttle: { count: -1 }, errorRate5xx: 2, unknown: true });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: string[] };
    expect(body.issues.length).toBeGreaterThanOrEqual(3);
    expect((await putFaults('not json at all')).status).toBe(400);
  });

  it('revokes issued tokens', async () => {
    const token = await tokenFor(fake, 'tenant-x');
    expect((await control('revoke-tokens', { method: 'POST' })).status).toBe(204);
    expect((await list(fake, token, 'p1')).status).toBe(401);
  });
});
