import { type FakeGraph, startFakeGraph } from '@ops/fake-graph';
import { createHttpGraphClient, type HttpGraphClientOptions } from '../src/http-client.ts';
import type { GraphClient } from '../src/types.ts';

/** The client under test, pointed at an in-process fake Graph over real HTTP. */
export const CREDENTIALS = { clientId: 'graph-test-client', clientSecret: 'graph-test-secret-Zq81' } as const;

export function startFake(): Promise<FakeGraph> {
  return startFakeGraph({ port: 0, ...CREDENTIALS });
}

export interface TestClient {
  readonly client: GraphClient;
  /** every wait the client asked for, in ms (the injected sleep spends none of them) */
  readonly waits: number[];
}

export function makeClient(fake: FakeGraph, overrides: Partial<HttpGraphClientOptions> = {}): TestClient {
  const waits: number[] = [];
  const client = createHttpGraphClient({
    authorityUrl: fake.url,
    graphUrl: fake.url,
    ...CREDENTIALS,
    timeoutMs: 2_000,
    maxRetries: 3,
    maxRetryAfterMs: 10_000,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      waits.push(ms);
    },
    ...overrides,
  });
  return { client, waits };
}

/** Resolves with what the promise rejected with (fails if it resolved). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}
