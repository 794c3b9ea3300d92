import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { isAbsolute, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Supervised } from './supervisor.ts';

/**
 * `pnpm start` without NATS_URL: a nats-server of its own — the project's
 * 2.10 (.ci/nats-server.sh, the version compose and the manifests deploy; the
 * services refuse an older one), JetStream on, loopback only, its store in
 * the repository's git-ignored .data/ so streams and leases survive a restart.
 */
export async function startOwnNats(root: string, port: number, storeDir: string): Promise<Supervised & { url: string; version: string }> {
  const binary = execFileSync('bash', [join(root, '.ci/nats-server.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
  const store = isAbsolute(storeDir) ? storeDir : join(root, storeDir);
  mkdirSync(store, { recursive: true });
  const child = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], {
    stdio: ['ignore', 'ignore', 'pipe'],
    // its own process group, like the services: a terminal's Ctrl-C reaches only the supervisor
    detached: true,
  });
  let log = '';
  createInterface({ input: child.stderr! }).on('line', (line) => {
    log += `${line}\n`;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  const deadline = Date.now() + 15_000;
  while (!(await portOpen(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nats-server did not start on 127.0.0.1:${port} (${version}):\n${log.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name: 'nats-server', child, exited, url: `nats://127.0.0.1:${port}`, version: `${version} (store ${store})` };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
