import { spawn } from 'node:child_process';
import { ROOT } from '@ops/test-support';

// The docker and docker compose commands the compose test runs, as an operator types them.

export interface Out {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command from the repository root; never throws on a non-zero exit. */
export function sh(cmd: string, args: readonly string[], timeoutMs = 120_000, env: NodeJS.ProcessEnv = process.env): Promise<Out> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Like sh(), but a non-zero exit is an error carrying the output. */
export async function must(cmd: string, args: readonly string[], timeoutMs?: number): Promise<string> {
  const r = await sh(cmd, args, timeoutMs);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.code}\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-2000)}`);
  return r.stdout;
}

/** `docker compose` with the project's files, env file and project name. */
export function composeArgs(project: string, files: readonly string[], envFile: string, ...rest: string[]): string[] {
  return ['compose', '-p', project, ...files.flatMap((f) => ['-f', f]), '--env-file', envFile, ...rest];
}

export interface ContainerState {
  readonly id: string;
  readonly name: string;
  readonly service: string;
  readonly hostname: string;
  readonly status: string;
  readonly exitCode: number;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly health: string | undefined;
  /** when the health check first passed (ms), from the health log */
  readonly healthyAt: number | undefined;
  readonly ip: string;
}

interface Inspect {
  Id: string;
  Name: string;
  Config: { Hostname: string; Labels: Record<string, string> };
  State: {
    Status: string;
    ExitCode: number;
    StartedAt: string;
    FinishedAt: string;
    Health?: { Status: string; Log?: Array<{ Start: string; End: string; ExitCode: number }> };
  };
  NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
}

/** Every container of the compose project (running or exited), from `docker inspect`. */
export async function containers(project: string): Promise<ContainerState[]> {
  const ids = (await must('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`])).split('\n').filter(Boolean);
  if (ids.length === 0) return [];
  const raw = JSON.parse(await must('docker', ['inspect', ...ids])) as Inspect[];
  return raw.map((c) => {
    const healthyLog = c.State.Health?.Log?.find((l) => l.ExitCode === 0);
    return {
      id: c.Id,
      name: c.Name.replace(/^\//, ''),
      service: c.Config.Labels['com.docker.compose.service'] ?? '',
      hostname: c.Config.Hostname,
      status: c.State.Status,
      exitCode: c.State.ExitCode,
      startedAt: Date.parse(c.State.StartedAt),
      finishedAt: Date.parse(c.State.FinishedAt),
      health: c.State.Health?.Status,
      healthyAt: healthyLog ? Date.parse(healthyLog.End) : undefined,
      ip: Object.values(c.NetworkSettings.Networks)[0]?.IPAddress ?? '',
    };
  });
}
