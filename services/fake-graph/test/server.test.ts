import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { derivedAssignments } from '../src/data.ts';
import type { FakeGraph } from '../src/server.ts';
import { assign, assignmentsUrl, CLIENT, getToken, list, startTestFake, tokenFor } from './helpers.ts';

/** The fake as its users see it: tokens, paging, assign, faults and the probe, over real HTTP. */
let fake: FakeGraph;

beforeAll(async () => {
  fake = await startTestFake();
});
afterAll(() => fake.close());
afterEach(() => fake.reset());

describe('token endpoint', () => {
  it('issues a bearer token for the configured client only', async () => {
    const ok = await getToken(fake, 'tenant-a');
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(typeof body['access_token']).toBe('string');

    const wrong = await getToken(fake, 'tenant-a', 'not-the-secret');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
    expect(fake.probe().token_calls).toBe(2);
  });

  it('refuses Graph calls without a known token', async () => {
    expect((await fetch(assignmentsUrl(fake, 'p1'))).status).toBe(401);
    expect((await list(fake, 'made-up-token', 'p1')).status).toBe(401);
    const token = await tokenFor(fake, 'tenant-a');
    expect((await list(fake, token, 'p1')).status).toBe(200);
    fake.revokeTokens();
    expect((await list(fake, token, 'p1')).status).toBe(401);
  });
});

describe('data', () => {
  it('derives 1–5 assignments per tenant/policy, the same in every instance', () => {
    const counts = new Set<number>();
    for (let i = 0; i < 40; i += 1) {
      const items = derivedAssignments('tenant-a', `policy-${i}`);
      counts.add(items.length);
      expect(items).toEqual(derivedAssignments('tenant-a', `policy-${i}`));
      for (const item of items) expect(item.target).toMatchObject({ '@odata.type': '#microsoft.graph.groupAssignmentTarget' });
    }
    expect([...counts].sort()).toEqual([1, 2, 3, 4, 5]);
    expect(derivedAssignments('tenant-a', 'p')).not.toEqual(derivedAssignments('tenant-b', 'p'));
  });

  it('pages with absolute same-origin nextLinks that add up to truth()', async () => {
    const policy = policyWithAtLeast(3);
    const token = await tokenFor(fake, 'tenant-a');
    const seen: unknown[] = [];
    let url: string | undefined = assignmentsUrl(fake, policy);
    while (url) {
      expect(new URL(url).origin).toBe(fake.url);
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      const page = (await res.json()) as { value: unknown[]; '@odata.nextLink'?: string };
      expect(page.value.length).toBeLessThanOrEqual(2);
      seen.push(...page.value);
      url = page['@odata.nextLink'];
    }
    expect(seen).toEqual(fake.truth('tenant-a', policy));
    expect(fake.probe().by_key[`tenant-a/${policy}`]).toMatchObject({
      list_calls: Math.ceil(seen.length / 2),
      status_counts: { '200': Math.ceil(seen.length / 2) },
    });
  });

  it('remembers the last assigned set per tenant/policy', async () => {
    const token = await tokenFor(fake, 'tenant-a');
    const assignments = [{ id: 'a1', target: { '@odata.type': '#microsoft.graph.allDevicesAssignmentTarget' } }];
    expect((await assign(fake, token, 'p1', assignments)).status).toBe(204);
    expect((await assign(fake, token, 'p1', [{ id: 'no-target' }])).status).toBe(400);
    expect(fake.truth('tenant-a', 'p1')).toEqual(assignments);
    expect(await (await list(fake, token, 'p1')).json()).toEqual({ value: assignments });
    expect(fake.truth('tenant-b', 'p1')).toEqual(derivedAssignments('tenant-b', 'p1'));
  });
});

describe('probe', () => {
  it('counts overlapping calls on one key, latency included, and sequential calls as 1', async () => {
    fake.setFaults({ latencyMs: 150 });
    const token = await tokenFor(fake, 'tenant-a');
    await Promise.all([list(fake, token, 'overlap'), list(fake, token, 'overlap')]);
    await list(fake, token, 'sequential');
    await list(fake, token, 'sequential');
    const probe = fake.probe();
    expect(probe.by_key['tenant-a/overlap']).toMatchObject({ calls: 2, max_concurrent: 2, in_flight: 0 });
    expect(probe.by_key['tenant-a/sequential']).toMatchObject({ calls: 2, max_concurrent: 1, in_flight: 0 });
    expect(probe.total_calls).toBe(4);
  });

  it('reset clears faults, probe and assigned data', async () => {
    const token = await tokenFor(fake, 'tenant-a');
    expect((await assign(fake, token, 'p2', [{ id: 'a1', target: {} }])).status).toBe(204);
    fake.setFaults({ failPolicies: { p1: 404 } });
    expect((await list(fake, token, 'p1')).status).toBe(404);
    fake.reset();
    expect(fake.probe()).toEqual({ total_calls: 0, token_calls: 0, by_key: {} });
    expect(fake.truth('tenant-a', 'p2')).toEqual(derivedAssignments('tenant-a', 'p2'));
    expect((await list(fake, token, 'p1')).status).toBe(200);
  });
});

describe('faults', () => {
  it('throttles the next calls of the named policies with Retry-After, then recovers', async () => {
    const token = await tokenFor(fake, 'tenant-a');
    fake.setFaults({ throttle: { policies: ['hot'], count: 2, retryAfterSeconds: 7 } });
    expect((await list(fake, token, 'cold')).status).toBe(200);
    const first = await list(fake, token, 'hot');
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('7');
    expect((await list(fake, token, 'hot')).status).toBe(429);
    expect((await list(fake, token, 'hot')).status).toBe(200);
    expect(fake.probe().by_key['tenant-a/hot']?.status_counts).toEqual({ '429': 2, '200': 1 });
  });

  it('stalls the next calls of the named policies for `ms` (in flight all the while), then answers promptly', async () => {
    const token = await tokenFor(fake, 'tenant-a');
    fake.setFaults({ stall: { policies: ['slow'], count: 1, ms: 400 } });
    const started = performance.now();
    const stalled = list(fake, token, 'slow');
    await new Promise((r) => setTimeout(r, 150));
    expect(fake.probe().by_key['tenant-a/slow']).toMatchObject({ in_flight: 1 });
    // another policy is not held
    expect((await list(fake, token, 'quick')).status).toBe(200);
    expect((await stalled).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(380);
    const again = performance.now();
    expect((await list(fake, token, 'slow')).status).toBe(200);
    expect(performance.now() - again).toBeLessThan(300);
  });

  it('answers 503 for `unavailable`, 403/404 for failPolicies', async () => {
    const token = await tokenFor(fake, 'tenant-a');
    fake.setFaults({ unavailable: { count: 1 }, failPolicies: { gone: 404, locked: 403 } });
    expect((await list(fake, token, 'gone')).status).toBe(503);
    expect((await list(fake, token, 'gone')).status).toBe(404);
    expect((await list(fake, token, 'locked')).status).toBe(403);
  });

  it('draws errorRate5xx from a seeded sequence: the same every time it is set', async () => {
    const token = await tokenFor(fake, 'tenant-a');
    const run = async () => {
      fake.setFaults({ errorRate5xx: 0.5 });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i += 1) statuses.push((await list(fake, token, 'p1')).status);
      return statuses;
    };
    const first = await run();
    expect(first).toContain(503);
    expect(first).toContain(200);
    expect(await run()).toEqual(first);
  });

  it('echoes the Authorization header and the client secret in error bodies when asked', async () => {
    const token = await tokenFor(fake, 'tenant-a');
    fake.setFaults({ echoSecretsInErrors: true, failPolicies: { p1: 404 } });
    const text = await (await list(fake, token, 'p1')).text();
    expect(text).toContain(token);
    expect(text).toContain(`client_secret=${CLIENT.clientSecret}`);
    expect(fake.issuedTokens()).toContain(token);
  });
});

/** A policy whose derived data spans more than one page. */
function policyWithAtLeast(n: number): string {
  for (let i = 0; ; i += 1) if (derivedAssignments('tenant-a', `paged-${i}`).length >= n) return `paged-${i}`;
}
