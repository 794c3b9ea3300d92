import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SERVICE_MALLOC_ARENA_MAX, SERVICE_NODE_OPTIONS } from '@ops/config';
import { runNode, type ServiceProcess, startService, useLedgerHarness } from '@ops/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { call, consoleEnv, openEvents, signIn, TIMEOUT, TOKEN } from './support.ts';

/** The console as its own process (`node services/console/src/main.ts`): binding, configuration errors, memory. */
const h = useLedgerHarness();
const MAIN = 'services/console/src/main.ts';
const processes: ServiceProcess[] = [];

afterAll(async () => {
  for (const p of processes) await p.stop();
});

/** The address of the `console ready` log line (the server's own address()). */
async function started(env: Record<string, string>): Promise<{ proc: ServiceProcess; address: AddressInfo }> {
  const proc = startService(MAIN, env);
  processes.push(proc);
  await proc.waitForOutput(/console ready/);
  const line = proc
    .output()
    .split('\n')
    .find((l) => l.includes('console ready'))!;
  const { host, port } = JSON.parse(line) as { host: string; port: number };
  return { proc, address: { address: host, port, family: 'IPv4' } };
}

/** Peak resident set (VmHWM) of a process, in bytes. */
function peakRss(pid: number): number {
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

describe('console process', () => {
  it(
    'binds 127.0.0.1 unless configured; after a few hundred API requests its peak RSS stays under 150 MB; the token is never logged',
    async () => {
      // as `pnpm start` and the image run every service (libs/config node-options.ts)
      const { proc, address } = await started({
        ...consoleEnv(h.names.prefix),
        LOG_LEVEL: 'debug',
        NODE_OPTIONS: SERVICE_NODE_OPTIONS,
        MALLOC_ARENA_MAX: SERVICE_MALLOC_ARENA_MAX,
      });
      expect(address.address).toBe('127.0.0.1');
      const session = await signIn(address);
      const ws = h.seed.workspace.id;
      const paths = [`/api/runs?workspace=${ws}`, '/api/locks', '/api/dlq', '/api/workspaces', '/app.js', '/'];
      for (let i = 0; i < 300; i += 1) {
        const r = await call(address, 'GET', paths[i % paths.length]!, { headers: { cookie: session.cookie } });
        expect(r.status).toBe(200);
      }
      for (let i = 0; i < 5; i += 1)
        expect((await call(address, 'GET', '/api/health', { headers: { cookie: session.cookie } })).status).toBe(200);
      // a few live views while it works, as open browser tabs would
      const views = [0, 1, 2].map(() =>
        openEvents(address, `/api/live?path=${encodeURIComponent(`/api/runs?workspace=${ws}`)}`, { cookie: session.cookie }),
      );
      await Promise.all(views.map((v) => v.until((e) => e.length >= 1)));
      for (const v of views) v.close();
      const peak = peakRss(proc.child.pid!);
      process.stderr.write(`console peak RSS after ${paths.length * 50} requests: ${(peak / 1024 / 1024).toFixed(1)} MB\n`);
      expect(peak).toBeGreaterThan(0);
      expect(peak).toBeLessThan(150 * 1024 * 1024);
      expect(proc.output()).not.toContain(TOKEN);
      expect(await proc.stop()).toBe(0);
    },
    TIMEOUT,
  );

  it(
    'a bad configuration value → exit 2 naming the key, never the value',
    async () => {
      const port = await runNode(MAIN, [], { ...consoleEnv(h.names.prefix), CONSOLE_PORT: 'eighty' });
      expect(port.code).toBe(2);
      expect(port.stderr).toContain('CONSOLE_PORT');
      expect(port.stderr).not.toContain('eighty');
      const token = await runNode(MAIN, [], { ...consoleEnv(h.names.prefix), CONSOLE_TOKEN: 'short-secret-1234' });
      expect(token.code).toBe(2);
      expect(token.stderr).toContain('CONSOLE_TOKEN');
      expect(token.stderr).not.toContain('short-secret-1234');
      const mode = await runNode(MAIN, [], { ...consoleEnv(h.names.prefix), CONSOLE_AUTH: 'none', CONSOLE_TRUSTED_PROXIES: 'everyone' });
      expect(mode.code).toBe(2);
      expect(mode.stderr).toContain('CONSOLE_AUTH');
      expect(mode.stderr).toContain('CONSOLE_TRUSTED_PROXIES');
    },
    TIMEOUT,
  );
});
