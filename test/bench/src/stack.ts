import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withDatabase, withRole } from '@ops/db';
import { freePort, sleep } from '@ops/test-support';
import pg from 'pg';

/** Repository root (test/bench/src → ../../..). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const log = (msg: string): void => {
  process.stderr.write(`bench: ${msg}\n`);
};

/** The parent's environment minus the keys the system reads (a developer's shell must not leak in). */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (
      v !== undefined &&
      !/^(NATS_|DATABASE_URL|LOG_LEVEL|HTTP_PORT|LEDGER_|SEED_|NODE_ENV|WORKER_|GRAPH_|FAKE_GRAPH_|HOUSEKEEPING_|DB_POOL)/.test(k)
    )
      env[k] = v;
  }
  env['NO_COLOR'] = '1';
  return env;
}

export interface Child {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<number | null>;
  /** the last lines of its output (for error messages) */
  tail(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM, SIGKILL after the deadline */
  stop(deadlineMs?: number): Promise<void>;
}

export interface StartOptions {
  readonly name: string;
  readonly command?: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  /** node flags (e.g. --cpu-prof) when the command is node */
  readonly nodeFlags?: readonly string[];
}

/** Starts a child process; its output is kept (last 16 KiB) and otherwise discarded. */
export function startChild(options: StartOptions): Child {
  const command = options.command ?? process.execPath;
  const args = options.command ? [...options.args] : [...(options.nodeFlags ?? []), ...options.args];
  const child = spawn(command, args, { cwd: ROOT, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    if (out.length > 32_768) out = out.slice(-16_384);
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  child.on('error', (err) => {
    out += `\nspawn error: ${err.message}`;
  });
  return {
    name: options.name,
    child,
    pid: child.pid ?? -1,
    exited,
    tail: () => out.slice(-3000),
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(out)) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(new Error(`${options.name} exited before ${pattern}:\n${out.slice(-3000)}`));
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`${options.name}: no ${pattern} within ${timeoutMs} ms:\n${out.slice(-3000)}`));
        }, timeoutMs);
        listeners.add(check);
        void exited.then(check);
        check();
      });
    },
    async stop(deadlineMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }, deadlineMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls /readyz until 200 (or the child exits). */
export async function waitReady(c: Child, port: number, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (c.child.exitCode !== null || c.child.signalCode !== null) throw new Error(`${c.name} exited during start:\n${c.tail()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1_000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${c.name} not ready on :${port} within ${timeoutMs} ms:\n${c.tail()}`);
}

// ---------------------------------------------------------------- PostgreSQL

export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
  adminUrl: string,
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: withDatabase(adminUrl, 'postgres'), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

export async function dropDb(adminUrl: string, name: string): Promise<void> {
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

export async function createDbFromTemplate(adminUrl: string, name: string, template: string): Promise<void> {
  await dropDb(adminUrl, name);
  await adminQuery(adminUrl, `CREATE DATABASE "${name}" TEMPLATE "${template}"`);
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface Tenancy {
  readonly workspaceId: string;
  /** policy i of the bench: its tenant and policy ids (ours and Graph's) */
  readonly policies: ReadonlyArray<{ tenantId: string; policyId: string; tenantExternalId: string; policyExternalId: string }>;
}

/**
 * The template database: migrated and seeded once per invocation by the
 * project's own seed job (tenants × policies), then cloned for every run so
 * each run starts from the same empty ledger.
 */
export async function prepareTemplate(adminUrl: string, template: string, tenants: number, policiesPerTenant: number): Promise<Tenancy> {
  await dropDb(adminUrl, template);
  const seed = startChild({
    name: 'seed',
    args: ['services/ledger-service/src/seed/main.ts', '--json'],
    env: {
      ...baseEnv(),
      DATABASE_URL: withDatabase(adminUrl, template),
      SEED_TENANTS: String(tenants),
      SEED_POLICIES_PER_TENANT: String(policiesPerTenant),
      LOG_LEVEL: 'warn',
    },
  });
  const code = await seed.exited;
  if (code !== 0) throw new Error(`seed job failed (${code}):\n${seed.tail()}`);
  return withClient(withDatabase(adminUrl, template), async (c) => {
    const ws = await c.query<{ id: string }>('SELECT id FROM workspaces ORDER BY created_at LIMIT 1');
    const rows = await c.query<{ tenant_id: string; policy_id: string; tenant_external_id: string; policy_external_id: string }>(
      `SELECT t.id AS tenant_id, p.id AS policy_id, t.external_id AS tenant_external_id, p.external_id AS policy_external_id
         FROM policies p JOIN tenants t ON t.id = p.tenant_id ORDER BY t.slug, p.name, p.id`,
    );
    return {
      workspaceId: ws.rows[0]!.id,
      policies: rows.rows.map((r) => ({
        tenantId: r.tenant_id,
        policyId: r.policy_id,
        tenantExternalId: r.tenant_external_id,
        policyExternalId: r.policy_external_id,
      })),
    };
  });
}

export function roleUrl(adminUrl: string, db: string, role: string): string {
  return withRole(withDatabase(adminUrl, db), role);
}

// ---------------------------------------------------------------- Redis

export interface OwnRedis {
  readonly port: number;
  readonly proc: Child;
  stop(): Promise<void>;
}

export const REDIS_BINARY = process.env['BENCH_REDIS_SERVER'] ?? '/usr/bin/redis-server';

/** A redis-server of the bench's own, on a free loopback port with a temp dir, no persistence. */
export async function startRedis(): Promise<OwnRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'ops-bench-redis-'));
  const port = await freePort();
  const proc = startChild({
    name: 'redis',
    command: REDIS_BINARY,
    args: [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'yes',
      '--maxmemory-policy',
      'noeviction',
    ],
    env: { PATH: process.env['PATH'] ?? '' },
  });
  await proc.waitFor(/Ready to accept connections/, 10_000);
  return {
    port,
    proc,
    async stop() {
      await proc.stop(5_000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
