import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeGraph } from '@ops/fake-graph';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describePath } from '../src/errors.ts';
import { isGraphError } from '../src/index.ts';
import { makeClient, rejection, startFake } from './helpers.ts';

/**
 * Answers the fake cannot give: a scripted "Graph" (tokens still come from
 * the fake's token endpoint) that sends bad bodies, redirects and 401s.
 */
let fake: FakeGraph;
let peer: Server;
let peerUrl: string;
let script: Array<{ status: number; body?: string; headers?: Record<string, string> }>;
let seen: string[];

beforeAll(async () => {
  fake = await startFake();
  peer = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const next = script.shift() ?? { status: 500 };
    res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers }).end(next.body ?? '');
  });
  await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
  peerUrl = `http://127.0.0.1:${(peer.address() as AddressInfo).port}`;
});
afterAll(async () => {
  peer.closeAllConnections();
  await new Promise((resolve) => peer.close(resolve));
  await fake.close();
});
beforeEach(() => {
  fake.reset();
  script = [];
  seen = [];
});

const client = () => makeClient(fake, { graphUrl: peerUrl }).client;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const err = await rejection(promise);
  return isGraphError(err) ? `${err.code}${err.transient ? ' transient' : ''}` : `not a GraphError: ${String(err)}`;
}

describe('a Graph answering unexpectedly', () => {
  it.each([
    ['not JSON', '<html>oops</html>'],
    ['no value array', '{"items":[]}'],
    ['an item without id', '{"value":[{"target":{}}]}'],
    ['an item without target', '{"value":[{"id":"a"}]}'],
    ['a non-string nextLink', '{"value":[],"@odata.nextLink":42}'],
  ])('maps %s to graph.bad_response', async (_name, body) => {
    script = [{ status: 200, body }];
    expect(await codeOf(client().listAssignments('tenant-a', 'p1'))).toBe('graph.bad_response');
  });

  it('keeps only id and target of each assignment', async () => {
    script = [{ status: 200, body: '{"value":[{"id":"a","target":{"x":1},"source":"direct","intent":"apply"}]}' }];
    expect(await client().listAssignments('tenant-a', 'p1')).toEqual([{ id: 'a', target: { x: 1 } }]);
  });

  it('does not follow a redirect (it could carry the token away)', async () => {
    script = [{ status: 302, headers: { location: `${peerUrl}/elsewhere` } }];
    expect(await codeOf(client().listAssignments('tenant-a', 'p1'))).toBe('graph.bad_response');
    expect(seen).toHaveLength(1);
  });

  it('maps other 4xx to graph.bad_response and 500 to graph.unavailable without in-place retries', async () => {
    script = [{ status: 400 }];
    expect(await codeOf(client().assign('tenant-a', 'p1', []))).toBe('graph.bad_response');
    script = [{ status: 500 }];
    expect(await codeOf(client().assign('tenant-a', 'p1', []))).toBe('graph.unavailable transient');
    expect(seen).toHaveLength(2);
  });

  it('refreshes a cached token once on 401, then reports graph.forbidden', async () => {
    const c = client();
    script = [{ status: 200, body: '{"value":[]}' }, { status: 401 }, { status: 401 }];
    await c.listAssignments('tenant-a', 'p1');
    expect(await codeOf(c.listAssignments('tenant-a', 'p1'))).toBe('graph.forbidden');
    expect(seen).toHaveLength(3);
    expect(fake.probe().token_calls).toBe(2);
    // a token fetched for this very call and refused is not refreshed again
    script = [{ status: 401 }];
    expect(await codeOf(client().listAssignments('tenant-a', 'p1'))).toBe('graph.forbidden');
    expect(seen).toHaveLength(4);
    expect(fake.probe().token_calls).toBe(3);
  });
});

describe('describePath', () => {
  it('keeps a path the sanitizer leaves alone and shortens one it would redact', () => {
    expect(describePath(new URL('http://x/tenant-a/oauth2/v2.0/token'))).toBe('/tenant-a/oauth2/v2.0/token');
    const policy = '0b7a4e9e-3c1d-4f2a-9b8e-0a1b2c3d4e5f';
    expect(describePath(new URL(`http://x/beta/deviceManagement/deviceConfigurations/${policy}/assign`))).toBe(
      `…/deviceConfigurations/${policy}/assign`,
    );
  });
});
