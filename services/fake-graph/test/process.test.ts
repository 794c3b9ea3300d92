import { startService } from '@ops/test-support';
import { describe, expect, it } from 'vitest';

/** fake-graph as docker-compose runs it: its own process, the ready line, SIGTERM. */
describe('fake-graph process', () => {
  it('starts on a free port, serves /healthz and exits 0 on SIGTERM', async () => {
    const svc = startService('services/fake-graph/src/main.ts', { FAKE_GRAPH_PORT: '0', LOG_LEVEL: 'info' });
    try {
      await svc.waitForOutput(/fake-graph ready/, 15_000);
      const ready = svc
        .output()
        .split('\n')
        .map((line) => (line.startsWith('{') ? (JSON.parse(line) as { msg?: string; port?: number }) : {}))
        .find((entry) => entry.msg === 'fake-graph ready');
      expect(ready?.port).toBeGreaterThan(0);
      const health = await fetch(`http://127.0.0.1:${ready!.port}/healthz`);
      expect(health.status).toBe(200);
      expect(await svc.stop('SIGTERM')).toBe(0);
    } finally {
      await svc.stop('SIGKILL');
    }
  });

  it('exits 1 naming a bad key', async () => {
    const svc = startService('services/fake-graph/src/main.ts', { FAKE_GRAPH_PORT: 'eighty', FAKE_GRAPH_PAGE_SIZE: '0' });
    expect(await svc.exited).toBe(1);
    expect(svc.output()).toMatch(/FAKE_GRAPH_PORT/);
    expect(svc.output()).toMatch(/FAKE_GRAPH_PAGE_SIZE/);
  });
});
