import { existsSync } from 'node:fs';
import { MACHINE_NATS_SERVER, type OwnNatsServer, runNode, startNatsServer } from '@ops/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * 2.10 is the oldest nats-server the services run on (what compose and the
 * manifests deploy, what every test runs against): started against this
 * machine's 2.9, each service refuses at start with one clear line and exit 1,
 * before it creates or touches anything.
 */
const SERVICES = [
  { name: 'ledger-service', script: 'services/ledger-service/src/main.ts', env: {} },
  { name: 'assignment-worker', script: 'services/assignment-worker/src/main.ts', env: { GRAPH_CLIENT_SECRET: 'not-used-0123456789' } },
  { name: 'housekeeping', script: 'services/housekeeping/src/main.ts', env: {} },
] as const;

describe.skipIf(!existsSync(MACHINE_NATS_SERVER))('a nats-server older than 2.10', () => {
  let old: OwnNatsServer;
  beforeAll(async () => {
    old = await startNatsServer({ binary: MACHINE_NATS_SERVER });
  });
  afterAll(async () => {
    await old?.stop();
  });

  it.each(SERVICES)(
    '$name refuses it at start: exit 1, one fatal line naming the version, the server and the minimum',
    async ({ script, env }) => {
      const r = await runNode(script, [], { NATS_URL: old.url, HTTP_PORT: '0', LOG_LEVEL: 'info', ...env }, 30_000);
      expect(r.code).toBe(1);
      const fatal = r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { level: string; err?: { message?: string } })
        .find((l) => l.level === 'fatal');
      expect(fatal?.err?.message).toMatch(
        new RegExp(`^nats-server 2\\.9\\.\\d+ at 127\\.0\\.0\\.1:${old.port} is older than 2\\.10, the oldest this system runs on`),
      );
      // nothing was created on the old server: the check comes before the topology
      expect(old.log()).not.toMatch(/Creating stream|OPS_JOBS/);
    },
  );
});
