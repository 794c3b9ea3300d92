import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeGraph } from '@ops/fake-graph';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GraphError, isGraphError, isTransientGraphError } from '../src/types.ts';
import { makeClient, rejection, startFake } from './helpers.ts';

/** Every failure mode against the fake Graph: what is retried, how long it waits, which code it ends in. */
let fake: FakeGraph;

beforeAll(async () => {
  fake = await startFake();
});
afterAll(() => fake.close());
afterEach(() => fake.reset());

async function graphError(promise: Promise<unknown>): Promise<GraphError> {
  const err = await rejection(promise);
  if (!isGraphError(err)) throw new Error(`expected a GraphError, got ${String(err)}`);
  return err;
}

const pagesOf = (tenant: string, policy: string) => Math.ceil(fake.truth(tenant, policy).length / 2);

describe('throttling (429 + Retry-After)', () => {
  it('waits Retry-After × 1000, capped, and succeeds once the throttle is used up', async () => {
    fake.setFaults({ throttle: { policies: ['p1'], count: 2, retryAfterSeconds: 3 } });
    const { client, waits } = makeClient(fake, { maxRetryAfterMs: 10_000 });
    expect(await client.listAssignments('tenant-a', 'p1')).toEqual(fake.truth('tenant-a', 'p1'));
    expect(waits).toEqual([3_000, 3_000]);
    expect(fake.probe().by_key['tenant-a/p1']?.status_counts).toEqual({ '429': 2, '200': pagesOf('tenant-a', 'p1') });

    fake.setFaults({ throttle: { count: 1, retryAfterSeconds: 30 } });
    const capped = makeClient(fake, { maxRetryAfterMs: 2_500 });
    await capped.client.listAssignments('tenant-a', 'p1');
    expect(capped.waits).toEqual([2_500]);
  });

  it('ends in graph.throttled (transient) when the retries are exhausted', async () => {
    fake.setFaults({ throttle: { count: 10, retryAfterSeconds: 1 } });
    const { client, waits } = makeClient(fake, { maxRetries: 2 });
    const err = await graphError(client.listAssignments('tenant-a', 'p1'));
    expect(err).toMatchObject({ code: 'graph.throttled', status: 429, transient: true });
    expect(isTransientGraphError(err)).toBe(true);
    expect(waits).toEqual([1_000, 1_000]);
    expect(fake.probe().by_key['tenant-a/p1']?.status_counts).toEqual({ '429': 3 });
  });

  it('gives up the wait as soon as the caller aborts (real sleep)', async () => {
    fake.setFaults({ throttle: { count: 1, retryAfterSeconds: 30 } });
    const { client } = makeClient(fake, { sleep: undefined, maxRetryAfterMs: 30_000 });
    const started = Date.now();
    const err = await rejection(client.listAssignments('tenant-a', 'p1', AbortSignal.timeout(150)));
    expect((err as Error).name).toBe('TimeoutError');
    expect(isGraphError(err)).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('unavailable (503)', () => {
  it('retries with backoff and succeeds', async () => {
    fake.setFaults({ unavailable: { count: 2 } });
    const { client, waits } = makeClient(fake);
    expect(await client.assign('tenant-a', 'p1', [{ id: 'a', target: {} }])).toBeUndefined();
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(100);
    expect(waits[0]).toBeLessThanOrEqual(200);
    expect(waits[1]).toBeGreaterThanOrEqual(200);
    expect(waits[1]).toBeLessThanOrEqual(400);
    expect(fake.probe().by_key['tenant-a/p1']?.status_counts).toEqual({ '503': 2, '204': 1 });
  });

  it('ends in graph.unavailable (transient) when the retries are exhausted', async () => {
    fake.setFaults({ unavailable: { count: 10 } });
    const { client } = makeClient(fake, { maxRetries: 1 });
    const err = await graphError(client.listAssignments('tenant-a', 'p1'));
    expect(err).toMatchObject({ code: 'graph.unavailable', status: 503, transient: true });
  });

  it('maps a refused connection to graph.unavailable (transient)', async () => {
    const { client } = makeClient(fake, { graphUrl: 'http://127.0.0.1:1' });
    const err = await graphError(client.listAssignments('tenant-a', 'p1'));
    expect(err).toMatchObject({ code: 'graph.unavailable', transient: true });
  });
});

describe('permanent failures', () => {
  it('maps 404 to graph.not_found and 403 to graph.forbidden, not transient, without retrying', async () => {
    fake.setFaults({ failPolicies: { gone: 404, locked: 403 } });
    const { client, waits } = makeClient(fake);
    expect(await graphError(client.listAssignments('tenant-a', 'gone'))).toMatchObject({
      code: 'graph.not_found',
      status: 404,
      transient: false,
    });
    expect(await graphError(client.assign('tenant-a', 'locked', []))).toMatchObject({
      code: 'graph.forbidden',
      status: 403,
      transient: false,
    });
    expect(waits).toEqual([]);
  });

  it('maps a refused client secret to graph.auth_failed (not transient)', async () => {
    const { client } = makeClient(fake, { clientSecret: 'wrong-secret' });
    const err = await graphError(client.listAssignments('tenant-a', 'p1'));
    expect(err).toMatchObject({ code: 'graph.auth_failed', status: 401, transient: false });
    expect(fake.probe().total_calls).toBe(0);
  });

  it('refuses a nextLink to another origin without calling it', async () => {
    const requests: string[] = [];
    const elsewhere: Server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"value":[]}');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    try {
      fake.setFaults({ nextLinkOrigin: `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}` });
      const policy = Array.from({ length: 50 }, (_, i) => `paged-${i}`).find((p) => fake.truth('tenant-a', p).length > 2)!;
      const { client } = makeClient(fake);
      const err = await graphError(client.listAssignments('tenant-a', policy));
      expect(err).toMatchObject({ code: 'graph.bad_response', transient: false });
      expect(requests).toEqual([]);
    } finally {
      await new Promise((resolve) => elsewhere.close(resolve));
    }
  });
});

describe('timeouts and aborts', () => {
  it('maps its own per-request timeout to graph.timeout (transient)', async () => {
    fake.setFaults({ latencyMs: 1_000 });
    const { client } = makeClient(fake, { timeoutMs: 100 });
    const started = Date.now();
    const err = await graphError(client.listAssignments('tenant-a', 'p1'));
    expect(err).toMatchObject({ code: 'graph.timeout', transient: true });
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('rejects promptly with an AbortError when the caller aborts, not a GraphError', async () => {
    fake.setFaults({ latencyMs: 3_000 });
    const { client } = makeClient(fake, { timeoutMs: 10_000 });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 50);
    const err = await rejection(client.listAssignments('tenant-a', 'p1', controller.signal));
    expect((err as Error).name).toBe('AbortError');
    expect(isGraphError(err)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('rejects at once for an already-aborted signal, even while a token request is shared', async () => {
    const { client } = makeClient(fake);
    const controller = new AbortController();
    const first = client.listAssignments('tenant-a', 'p1');
    const second = client.listAssignments('tenant-a', 'p2', controller.signal);
    controller.abort();
    expect(((await rejection(second)) as Error).name).toBe('AbortError');
    expect(await first).toEqual(fake.truth('tenant-a', 'p1'));
    const aborted = AbortSignal.abort();
    expect(((await rejection(client.listAssignments('tenant-a', 'p1', aborted))) as Error).name).toBe('AbortError');
  });
});
