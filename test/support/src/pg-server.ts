import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './net.ts';
import { processAlive, signalAndWait } from './process.ts';
import { sleep } from './time.ts';

/**
 * A PostgreSQL server of the test's own: a fresh cluster (initdb, trust
 * auth) in a temp dir, on a free loopback port, its socket in the same temp
 * dir — for tests that crash and restart the database. Never the shared
 * server: only the postmaster this helper started is ever signalled.
 *
 * PostgreSQL refuses to run as root, so when the tests run as root the
 * cluster belongs to the `postgres` user (or PG_TEST_USER) and every binary
 * is started under its uid/gid.
 */
export interface OwnPgServer {
  readonly port: number;
  readonly dataDir: string;
  /** admin URL (superuser `postgres`, trust auth) of database `name` (default `postgres`) */
  url(name?: string): string;
  /** the server's own log (stderr) */
  log(): string;
  /** the postmaster's PID (changes with every restart) */
  pid(): number | undefined;
  /**
   * A crash: `immediate` (SIGQUIT — what `pg_ctl stop -m immediate` sends: no
   * checkpoint, crash recovery on the next start) or `kill` (SIGKILL of the
   * postmaster, then SIGKILL of the backends it left behind, which this
   * helper found as its children). Then start again on the same data dir and
   * port; resolves when it accepts connections again. `downMs` keeps it down
   * that long first.
   */
  restart(options?: { mode?: 'immediate' | 'kill'; downMs?: number }): Promise<void>;
  /** fast shutdown, then the temp dir is removed */
  stop(): Promise<void>;
}

const BIN_DIRS = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/14/bin', '/usr/local/pgsql/bin'];

function binary(name: string): string {
  const fromEnv = process.env['PG_BIN_DIR'];
  for (const dir of fromEnv ? [fromEnv, ...BIN_DIRS] : BIN_DIRS) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  return name;
}

function runAs(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const user = process.env['PG_TEST_USER'] ?? 'postgres';
  const uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid <= 0)
    throw new Error(`running as root: PostgreSQL needs a non-root user (${user} not found)`);
  return { uid, gid };
}

export interface PgServerOptions {
  /** extra `-c name=value` settings */
  readonly settings?: Record<string, string>;
}

export async function startPgServer(options: PgServerOptions = {}): Promise<OwnPgServer> {
  const baseDir = await mkdtemp(join(tmpdir(), 'ops-pg-'));
  const dataDir = join(baseDir, 'data');
  const identity = runAs();
  if (identity) chownSync(baseDir, identity.uid, identity.gid);
  const env = { PATH: process.env['PATH'] ?? '', LC_ALL: 'C', TZ: 'UTC', HOME: baseDir };
  const init = spawnSync(binary('initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], {
    env,
    encoding: 'utf8',
    ...(identity ?? {}),
  });
  if (init.status !== 0) {
    await rm(baseDir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status}): ${init.stderr || init.error?.message}`);
  }
  const port = await freePort();
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    // a test cluster: durability against an OS crash is not what is tested
    // (a process crash keeps the kernel's page cache), speed is welcome
    fsync: 'off',
    full_page_writes: 'off',
    max_connections: '200',
    ...options.settings,
  };
  const args = ['-D', dataDir, '-p', String(port), '-k', baseDir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  let child: ChildProcess | undefined;
  let log = '';

  const launch = async () => {
    const proc = spawn(binary('postgres'), args, { env, stdio: ['ignore', 'ignore', 'pipe'], ...(identity ?? {}) });
    child = proc;
    const from = log.length;
    proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await waitReady(port, proc, () => log.slice(from));
  };
  const exit = (signal: NodeJS.Signals) => signalAndWait(child, signal);
  // a process that ends without stop() (a crash, process.exit) must not leave its cluster running:
  // SIGQUIT is the immediate shutdown, the postmaster takes its backends down with it
  const killOnExit = () => child?.kill('SIGQUIT');
  process.on('exit', killOnExit);
  await launch();
  const url = (name = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${name}`;
  return {
    port,
    dataDir,
    url,
    log: () => log,
    pid: () => child?.pid,
    async restart({ mode = 'immediate', downMs = 0 } = {}) {
      if (mode === 'kill') {
        const postmaster = child?.pid;
        const backends = postmaster ? childPids(postmaster) : [];
        await exit('SIGKILL');
        // orphaned backends keep the shared memory attached; a new postmaster
        // refuses to start until they are gone (they were started by ours)
        for (const pid of backends) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await waitGone(backends);
      } else {
        await exit('SIGQUIT');
      }
      if (downMs > 0) await sleep(downMs);
      await launch();
    },
    async stop() {
      await exit('SIGINT');
      process.off('exit', killOnExit);
      await rm(baseDir, { recursive: true, force: true });
    },
  };
}

function childPids(pid: number): number[] {
  const out = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).stdout ?? '';
  return out
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

async function waitGone(pids: readonly number[], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(processAlive) && Date.now() < deadline) await sleep(20);
}

async function waitReady(port: number, proc: ChildProcess, log: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null)
      throw new Error(`postgres exited ${proc.exitCode ?? proc.signalCode}:\n${log()}`);
    if (/ready to accept connections/.test(log())) {
      const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`, connectionTimeoutMillis: 2_000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        await client.end();
        return;
      } catch {
        await client.end().catch(() => undefined);
      }
    }
    await sleep(50);
  }
  throw new Error(`postgres did not accept connections on ${port} within ${timeoutMs} ms:\n${log()}`);
}
