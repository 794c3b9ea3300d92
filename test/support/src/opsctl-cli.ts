import { spawn } from 'node:child_process';
import type { Names } from '@ops/contracts';
import { testEnv } from './env.ts';
import { ROOT } from './process.ts';

/**
 * opsctl as operators run it: a child process of the real entrypoint, its
 * exit code, stdout and stderr — the contract is those three (docs/cli.md).
 */
export interface OpsctlResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function opsctl(args: string[], env: Record<string, string>): Promise<OpsctlResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // a minimal environment: only what the test means to configure reaches the CLI
    const child = spawn(process.execPath, ['services/opsctl/src/main.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 25_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

/** The CLI's environment for one harness: the test's NATS prefix and database. */
export function cliEnv(h: { names: Names; db: { url: string } }): Record<string, string> {
  return { NATS_URL: testEnv.NATS_URL.join(','), NATS_PREFIX: h.names.prefix, DATABASE_URL: h.db.url };
}

/** Runs a command with --json, expects exit 0 and an empty stderr, returns the parsed document. */
export async function opsctlJson<T = Record<string, unknown>>(args: string[], env: Record<string, string>): Promise<T> {
  const r = await opsctl([...args, '--json'], env);
  if (r.code !== 0 || r.stderr !== '') throw new Error(`opsctl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
