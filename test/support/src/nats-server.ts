import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { natsServerBinary } from './nats-binary.ts';
import { freePort } from './net.ts';
import { signalAndWait } from './process.ts';
import { sleep } from './time.ts';

/**
 * A nats-server of the test's own, on free loopback ports with a temp store:
 * for tests that restart it, kill it or run it with the shipped config —
 * never the shared server. Only this PID is ever signalled.
 */
export interface OwnNatsServer {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** its HTTP monitoring endpoint (`/varz`, `/jsz`, …) */
  readonly monitorUrl: string;
  /** the server's PID (changes with every restart) */
  pid(): number | undefined;
  /** the server's own log (stderr), e.g. permission violations */
  log(): string;
  /** SIGKILL, then start again on the same port and store (a crash) */
  restart(options?: { kill?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

export interface NatsServerOptions {
  /** a nats-server config file (-c); its listen/http/store are overridden by flags */
  readonly configFile?: string;
  /** variables the config references (passwords) */
  readonly env?: Record<string, string>;
  /** another nats-server binary than the project's (the refusal test's 2.9) */
  readonly binary?: string;
}

export async function startNatsServer(options: NatsServerOptions = {}): Promise<OwnNatsServer> {
  const storeDir = await mkdtemp(join(tmpdir(), 'ops-nats-'));
  const port = await freePort();
  const httpPort = await freePort();
  let child: ChildProcess | undefined;
  let log = '';
  const args = [
    ...(options.configFile ? ['-c', options.configFile] : []),
    '-a',
    '127.0.0.1',
    '-p',
    String(port),
    '-m',
    String(httpPort),
    ...(options.configFile ? [] : ['-js']),
    '-sd',
    storeDir,
  ];
  const launch = async () => {
    const proc = spawn(options.binary ?? natsServerBinary(), args, {
      env: { PATH: process.env['PATH'] ?? '', ...options.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = proc;
    proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await waitForPort(port, proc, () => log);
  };
  const exit = (signal: NodeJS.Signals) => signalAndWait(child, signal);
  // a process that ends without stop() (a crash, process.exit) must not leave its server running
  const killOnExit = () => child?.kill('SIGKILL');
  process.on('exit', killOnExit);
  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    monitorUrl: `http://127.0.0.1:${httpPort}`,
    pid: () => child?.pid,
    log: () => log,
    async restart({ kill = true } = {}) {
      await exit(kill ? 'SIGKILL' : 'SIGTERM');
      await launch();
    },
    async stop() {
      await exit('SIGTERM');
      process.off('exit', killOnExit);
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, proc: ChildProcess, log: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`nats-server exited ${proc.exitCode}:\n${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = tcpConnect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (open && /Server is ready/.test(log())) return;
    await sleep(50);
  }
  throw new Error(`nats-server did not listen on ${port} within ${timeoutMs} ms:\n${log()}`);
}
