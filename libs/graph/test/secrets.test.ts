import { Writable } from 'node:stream';
import type { FakeGraph } from '@ops/fake-graph';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGraphError } from '../src/index.ts';
import { CREDENTIALS, makeClient, rejection, startFake } from './helpers.ts';

/**
 * FR-008: a Graph peer that echoes the Authorization header and the client
 * secret into its error bodies must not get either into our errors or logs.
 */
let fake: FakeGraph;

beforeAll(async () => {
  fake = await startFake();
});
afterAll(() => fake.close());

/** A plain pino logger (no redaction of its own) writing to memory: the client must not rely on redaction. */
function memoryLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), lines };
}

describe('secrets in Graph error bodies', () => {
  it.each([
    ['404', { failPolicies: { p1: 404 } }, 'graph.not_found'],
    ['503', { unavailable: { count: 5 } }, 'graph.unavailable'],
    ['429', { throttle: { count: 5, retryAfterSeconds: 1 } }, 'graph.throttled'],
  ] as const)('never reach the GraphError or the log (%s)', async (_name, faults, code) => {
    fake.reset();
    fake.setFaults({ echoSecretsInErrors: true, ...faults });
    const { logger, lines } = memoryLogger();
    const { client } = makeClient(fake, { logger, maxRetries: 2 });
    const err = await rejection(client.listAssignments('tenant-a', 'p1'));
    logger.error({ err }, 'fetch failed');
    logger.flush();

    const [token] = fake.issuedTokens();
    expect(token).toBeDefined();
    // the fake really does echo both: the test is not vacuous
    const raw = await fetch(`${fake.url}/beta/deviceManagement/deviceConfigurations/p1/assignments`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const rawBody = await raw.text();
    expect(rawBody).toContain(token);
    expect(rawBody).toContain(CREDENTIALS.clientSecret);

    expect(isGraphError(err)).toBe(true);
    expect(err).toMatchObject({ code });
    const surfaces = [(err as Error).message, String(err), JSON.stringify(err), (err as Error).stack ?? '', ...lines];
    expect(lines.length).toBeGreaterThan(0);
    for (const text of surfaces) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(CREDENTIALS.clientSecret);
      expect(text).not.toContain('client_secret=');
    }
    // short and ours: code, status, method and path without query
    expect((err as Error).message).toMatch(
      /^graph\.[a-z_]+: GET \/beta\/deviceManagement\/deviceConfigurations\/p1\/assignments answered HTTP \d{3}/,
    );
  });

  it('never reach the error when the token endpoint refuses and echoes the secret', async () => {
    fake.reset();
    fake.setFaults({ echoSecretsInErrors: true });
    const wrongSecret = 'wrong-but-still-secret-9f3k';
    const { logger, lines } = memoryLogger();
    const { client } = makeClient(fake, { clientSecret: wrongSecret, logger });
    const err = await rejection(client.listAssignments('tenant-a', 'p1'));
    logger.error({ err }, 'fetch failed');
    expect(err).toMatchObject({ code: 'graph.auth_failed', transient: false });
    for (const text of [(err as Error).message, String(err), JSON.stringify(err), ...lines]) {
      expect(text).not.toContain(wrongSecret);
      expect(text).not.toContain(CREDENTIALS.clientSecret);
    }
  });
});
