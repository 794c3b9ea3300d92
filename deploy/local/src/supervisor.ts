import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { serviceMallocArenaMax, serviceNodeOptions } from '@ops/config';
import { formatLogLine } from './log-format.ts';

export interface ChildSpec {
  readonly name: string;
  readonly script: string;
  readonly args?: readonly string[];
  readonly env: Record<string, string>;
}

export interface Supervised {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
}

/**
 * Starts each service as its own process in its own process group, so a
 * terminal Ctrl-C reaches only the supervisor, which then sends exactly one
 * SIGTERM to each (a second signal would force the service's exit).
 */
export function startChild(spec: ChildSpec, pretty: boolean, root: string): Supervised {
  const child = spawn(process.execPath, [spec.script, ...(spec.args ?? [])], {
    cwd: root,
    // the services' heap limits, as in the image (libs/config node-options.ts)
    env: {
      ...spec.env,
      NODE_OPTIONS: serviceNodeOptions(spec.env['NODE_OPTIONS']),
      MALLOC_ARENA_MAX: serviceMallocArenaMax(spec.env['MALLOC_ARENA_MAX']),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      process.stdout.write(`${pretty ? formatLogLine(spec.name, line) : line}\n`);
    });
  }
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  return { name: spec.name, child, exited };
}

/** Runs a one-shot child (the seed job) to completion. */
export async function runOnce(spec: ChildSpec, pretty: boolean, root: string): Promise<number | null> {
  return startChild(spec, pretty, root).exited;
}

/** SIGTERM to every running child, SIGKILL whatever is left after the deadline. */
export async function stopAll(children: readonly Supervised[], deadlineMs: number): Promise<void> {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(children.map((c) => c.exited)),
    new Promise((resolve) => {
      timer = setTimeout(resolve, deadlineMs);
    }),
  ]);
  clearTimeout(timer);
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
}

/** Polls a service's /readyz until it answers 200. */
export async function waitReady(url: string, timeoutMs: number, exited: Promise<unknown>): Promise<boolean> {
  let dead = false;
  void exited.then(() => (dead = true));
  const until = Date.now() + timeoutMs;
  while (Date.now() < until && !dead) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (res.status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}
