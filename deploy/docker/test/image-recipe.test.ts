import { type ChildProcess, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { workerConfigSchema } from '@ops/assignment-worker/config';
import { describeKeys, SERVICE_MALLOC_ARENA_MAX, SERVICE_NODE_OPTIONS } from '@ops/config';
import { consoleConfigSchema } from '@ops/console/config';
import { DB_ROLES } from '@ops/db';
import { fakeGraphConfigSchema } from '@ops/fake-graph/config';
import { housekeepingConfigSchema } from '@ops/housekeeping/config';
import { ledgerConfigSchema } from '@ops/ledger-service/config';
import {
  cleanupNats,
  connectTestNats,
  createTestDatabase,
  freePort,
  ROOT,
  sleep,
  type TestDatabase,
  testEnv,
  uniqueNames,
} from '@ops/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * No Docker engine here, so the image recipe is tested in two halves:
 * deploy/docker/Dockerfile is checked as data, and what its build stage runs
 * (deploy/docker/build-service.sh, on a copy of the build context as
 * .dockerignore filters it) is run for real; the output is then started the
 * way the image starts it (its ENV, WORKDIR = the output, its exact CMD)
 * against PostgreSQL and NATS, probed with the image's HEALTHCHECK command
 * and stopped with SIGTERM.
 */
const SERVICE = 'ledger-service';
const DEV_ONLY = ['vitest', 'typescript', 'fast-check', '@types/node', '@types/pg', 'yaml'];

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}
interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

/** Dockerfile → stages (line continuations joined, comments dropped; enough for this file's syntax). */
function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim()) logical.push(current.trim());
    current = '';
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const m = /^(\w+)\s+([\s\S]*)$/.exec(line);
    if (!m) throw new Error(`cannot parse Dockerfile line: ${line}`);
    const keyword = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (keyword === 'FROM') {
      const from = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from) throw new Error(`cannot parse FROM ${args}`);
      stages.push({ from: from[1]!, name: from[2], instructions: [] });
    } else if (stages.length === 0) {
      if (keyword !== 'ARG') throw new Error(`${keyword} before the first FROM`);
    } else {
      stages.at(-1)!.instructions.push({ keyword, args });
    }
  }
  return stages;
}

function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`not an exec-form array: ${args}`);
  return parsed as string[];
}

/** ENV lines of a stage (key=value form), with ${SERVICE} from the build arg. */
function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { keyword, args } of stage.instructions) {
    if (keyword !== 'ENV') continue;
    for (const m of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's literal build-arg reference
      env[m[1]!] = m[2]!.replace(/^"|"$/g, '').replaceAll('${SERVICE}', SERVICE);
    }
  }
  return env;
}

/** .dockerignore → predicate on a path relative to the context (Docker's `**`, `*`, `?`; no `!` exceptions). */
function dockerignore(text: string): (rel: string) => boolean {
  const patterns = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (patterns.some((p) => p.startsWith('!'))) throw new Error('this test does not implement .dockerignore exceptions (!)');
  const regexes = patterns.map((p) => {
    const glob = p.replace(/^\/+|\/+$/g, '');
    let re = '';
    for (let i = 0; i < glob.length; i++) {
      if (glob.startsWith('**/', i)) {
        re += '(?:.*/)?';
        i += 2;
      } else if (glob.startsWith('**', i)) {
        re += '.*';
        i += 1;
      } else if (glob[i] === '*') re += '[^/]*';
      else if (glob[i] === '?') re += '[^/]';
      else re += glob[i]!.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    return new RegExp(`^${re}$`);
  });
  return (rel) => regexes.some((r) => r.test(rel));
}

/** Copies the repository as `docker build .` sends it: everything but what .dockerignore excludes. */
async function copyBuildContext(from: string, to: string): Promise<void> {
  const excluded = dockerignore(await readFile(join(from, '.dockerignore'), 'utf8'));
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await readdir(join(from, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (excluded(path)) continue;
      if (entry.isDirectory()) {
        await mkdir(join(to, path), { recursive: true });
        await walk(path);
      } else if (entry.isSymbolicLink()) {
        await symlink(await readlink(join(from, path)), join(to, path));
      } else if (entry.isFile()) {
        await copyFile(join(from, path), join(to, path));
      }
    }
  };
  await mkdir(to, { recursive: true });
  await walk('');
}

/** A clean environment as in a container: nothing the system reads, no npm/pnpm settings of the calling pnpm, this Node and pnpm first on PATH. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (/^(NATS_|DATABASE_URL|LOG_LEVEL|HTTP_PORT|LEDGER_|SEED_|CONSOLE_|NODE_ENV|NODE_OPTIONS|MALLOC_ARENA_MAX|OPS_|npm_|pnpm_)/i.test(k))
      continue;
    env[k] = v;
  }
  env['PATH'] = [
    dirname(process.execPath),
    join(ROOT, '.tools/node_modules/.bin'),
    join(ROOT, 'node_modules/.bin'),
    process.env['PATH'] ?? '',
  ].join(delimiter);
  env['NO_COLOR'] = '1';
  return { ...env, ...extra };
}

interface Run {
  readonly code: number | null;
  readonly output: string;
}

function run(cmd: string, args: readonly string[], opts: { cwd: string; env: Record<string, string>; timeoutMs: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${opts.timeoutMs} ms\n${output.slice(-3000)}`));
    }, opts.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

const dockerfile = await readFile(join(ROOT, 'deploy/docker/Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);
const final = stages.at(-1)!;
const last = (keyword: string) => final.instructions.filter((i) => i.keyword === keyword).at(-1);
const cmd = execForm(last('CMD')?.args ?? '[]');
const healthcheck = execForm((last('HEALTHCHECK')?.args ?? '').replace(/^(?:--\S+\s+)*CMD\s+/, ''));
const imageEnv = stageEnv(final);

const names = uniqueNames();
let work: string;
let out: string;
let build: Run;
let db: TestDatabase | undefined;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ops-image-'));
  out = join(work, 'out');
  await copyBuildContext(ROOT, join(work, 'context'));
  // the same script, with the same arguments, as the Dockerfile's RUN line
  build = await run('bash', [join(work, 'context/deploy/docker/build-service.sh'), SERVICE, out], {
    cwd: join(work, 'context'),
    env: cleanEnv(),
    timeoutMs: 110_000,
  });
}, 120_000);

afterAll(async () => {
  await cleanupNats(await connectTestNats(), names);
  await db?.drop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('deploy/docker/Dockerfile', () => {
  it('builds with build-service.sh from pinned bases and runs as a non-root user under tini with a health check', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    // BASE: a build argument (a local stand-in where no registry is reachable), by default the official image
    const base = /^ARG BASE=(\S+)$/m.exec(dockerfile)?.[1] ?? '';
    for (const stage of stages) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's literal build-arg reference
      const from = stage.from.replace('${BASE}', base);
      // an exact release (x.y.z), never latest or a floating major/minor
      expect(from).toMatch(/^[\w./-]+:\d+\.\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?$/);
      expect(from).not.toContain('latest');
    }
    const runs = stages.flatMap((s) => s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args));
    expect(runs.some((r) => /(^|\s)(bash\s+)?(\.\/)?deploy\/docker\/build-service\.sh\s+"?\$\{?SERVICE\}?"?\s+\S+/.test(r))).toBe(true);
    expect(dockerfile).toMatch(/^ARG SERVICE$/m);

    // the runtime stage: only the deploy output, from the build stage (never the build CA)
    const copies = final.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD');
    expect(copies.length).toBeGreaterThan(0);
    for (const c of copies) expect(c.args).toMatch(/^--from=\S+\s/);
    for (const c of copies) expect(c.args).not.toContain('build-ca');
    expect(Object.keys(imageEnv)).not.toContain('NODE_EXTRA_CA_CERTS');
    expect(last('WORKDIR')?.args).toBe('/app');

    const user = last('USER')?.args ?? '';
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);

    const entrypoint = execForm(last('ENTRYPOINT')?.args ?? '[]');
    expect(entrypoint[0]).toMatch(/(^|\/)tini$/);
    expect(final.instructions.some((i) => i.keyword === 'RUN' && /apt-get install .*\btini\b/.test(i.args))).toBe(true);

    expect(imageEnv['NODE_ENV']).toBe('production');
    // the same heap limits as `pnpm start` and the bench (one source: @ops/config)
    expect(imageEnv['NODE_OPTIONS']).toBe(SERVICE_NODE_OPTIONS);
    expect(imageEnv['MALLOC_ARENA_MAX']).toBe(SERVICE_MALLOC_ARENA_MAX);
    // the contract with compose/Kubernetes (docs/images.md)
    expect(cmd).toEqual(['node', '--import', '@ops/runtime/register', 'src/main.ts']);
    expect(healthcheck[0]).toBe('node');
    expect(healthcheck.join(' ')).toContain('/healthz');
  });

  it("health-checks each service's default port when HTTP_PORT (fake-graph: FAKE_GRAPH_PORT, console: CONSOLE_PORT) is not set", () => {
    const script = healthcheck.join(' ');
    const defaults = (schema: Parameters<typeof describeKeys>[0], key: string) => describeKeys(schema).find((k) => k.key === key)!.default;
    const expected = {
      'ledger-service': defaults(ledgerConfigSchema, 'HTTP_PORT'),
      'assignment-worker': defaults(workerConfigSchema, 'HTTP_PORT'),
      housekeeping: defaults(housekeepingConfigSchema, 'HTTP_PORT'),
      'fake-graph': defaults(fakeGraphConfigSchema, 'FAKE_GRAPH_PORT'),
      console: defaults(consoleConfigSchema, 'CONSOLE_PORT'),
    };
    for (const [service, port] of Object.entries(expected)) expect(script).toContain(`'${service}':${port}`);
    expect(script).toContain('FAKE_GRAPH_PORT');
    expect(script).toContain("'console':'CONSOLE_PORT'");
  });
});

describe('deploy/docker/build-service.sh', () => {
  it('produces the service with production dependencies only', async () => {
    expect(build.code, build.output).toBe(0);
    const pkg = JSON.parse(await readFile(join(out, 'package.json'), 'utf8')) as { name: string };
    expect(pkg.name).toBe(`@ops/${SERVICE}`);
    expect(await exists(join(out, 'src/main.ts'))).toBe(true);
    expect(await exists(join(out, 'src/seed/main.ts'))).toBe(true);
    expect(await exists(join(out, 'node_modules/@ops/runtime/register.mjs'))).toBe(true);

    const store = await readdir(join(out, 'node_modules/.pnpm'));
    for (const dev of DEV_ONLY) {
      expect(await exists(join(out, 'node_modules', dev)), dev).toBe(false);
      expect(
        store.filter((dir) => dir.startsWith(`${dev.replace('/', '+')}@`)),
        dev,
      ).toEqual([]);
    }
    // no tests shipped
    expect(await exists(join(out, 'test'))).toBe(false);
    const tests = (await readdir(join(out, 'src'), { recursive: true })).filter((f) => f.endsWith('.test.ts'));
    expect(tests).toEqual([]);
    const libTests = (await readdir(join(out, 'node_modules/@ops/contracts/src'), { recursive: true })).filter((f) =>
      f.endsWith('.test.ts'),
    );
    expect(libTests).toEqual([]);
  });

  it('needs the loader: without it Node refuses the @ops/* sources under node_modules', async () => {
    expect(build.code, build.output).toBe(0);
    const env = cleanEnv({
      ...imageEnv,
      NATS_URL: 'nats://127.0.0.1:1',
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      HTTP_PORT: '0',
    });
    const bare = await run(
      cmd[0]!,
      cmd.filter((a, i) => i > 0 && a !== '--import' && cmd[i - 1] !== '--import'),
      { cwd: out, env, timeoutMs: 20_000 },
    );
    expect(bare.code).not.toBe(0);
    expect(bare.output).toContain('ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING');
  });

  it('runs the seed command and the service with the image CMD: ready, healthy, graceful on SIGTERM', async () => {
    expect(build.code, build.output).toBe(0);
    db = await createTestDatabase();
    const base = { ...imageEnv, NATS_URL: testEnv.NATS_URL.join(','), NATS_PREFIX: names.prefix };

    // the seed job: the same image, its own command
    const seedCmd = [...cmd.slice(0, -1), 'src/seed/main.ts'];
    const seed = await run(seedCmd[0]!, [...seedCmd.slice(1), '--json'], {
      cwd: out,
      env: cleanEnv({ ...base, DATABASE_URL: db.url }),
      timeoutMs: 30_000,
    });
    expect(seed.code, seed.output).toBe(0);
    expect(JSON.parse(seed.output.trim().split('\n').at(-1)!)).toMatchObject({ seeded: true });

    const port = await freePort();
    const env = cleanEnv({ ...base, DATABASE_URL: db.urlAs(DB_ROLES.ledger), HTTP_PORT: String(port) });
    const { child, exited, output: said } = spawnImageCommand(cmd, out, env);
    try {
      await waitReady(port, child, said, 60_000);

      // the image's HEALTHCHECK command, as Docker runs it inside the container
      const healthy = await run(healthcheck[0]!, healthcheck.slice(1), { cwd: out, env, timeoutMs: 10_000 });
      expect(healthy.code, healthy.output).toBe(0);

      child.kill('SIGTERM');
      expect(await exited, said()).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
    expect(said()).toContain('shutdown complete');
    // the loader keeps stderr clean: no stripping error, no experimental warning
    expect(said()).not.toMatch(/ERR_UNSUPPORTED|ExperimentalWarning/);

    const unhealthy = await run(healthcheck[0]!, healthcheck.slice(1), { cwd: out, env, timeoutMs: 10_000 });
    expect(unhealthy.code).toBe(1);
  }, 120_000);
});

describe('deploy/docker/build-service.sh console', () => {
  it('ships the console with its pages (public/ beside src/), ready and healthy on CONSOLE_PORT under the image CMD', async () => {
    expect(build.code, build.output).toBe(0);
    const consoleOut = join(work, 'out-console');
    const built = await run('bash', [join(work, 'context/deploy/docker/build-service.sh'), 'console', consoleOut], {
      cwd: join(work, 'context'),
      env: cleanEnv(),
      timeoutMs: 110_000,
    });
    expect(built.code, built.output).toBe(0);
    expect(await exists(join(consoleOut, 'src/main.ts'))).toBe(true);
    expect((await readdir(join(consoleOut, 'public'), { recursive: true })).sort()).toEqual(
      (await readdir(join(ROOT, 'services/console/public'), { recursive: true })).sort(),
    );

    const port = await freePort();
    const env = cleanEnv({
      ...imageEnv,
      OPS_SERVICE: 'console',
      NATS_URL: testEnv.NATS_URL.join(','),
      NATS_PREFIX: names.prefix,
      CONSOLE_HOST: '0.0.0.0',
      CONSOLE_PORT: String(port),
      CONSOLE_TOKEN: 'image-recipe-console-token-0123456789',
    });
    const { child, exited, output: said } = spawnImageCommand(cmd, consoleOut, env);
    try {
      await waitReady(port, child, said, 30_000);
      // its pages are served from the shipped public/
      expect((await fetch(`http://127.0.0.1:${port}/login`)).status).toBe(200);
      const healthy = await run(healthcheck[0]!, healthcheck.slice(1), { cwd: consoleOut, env, timeoutMs: 10_000 });
      expect(healthy.code, healthy.output).toBe(0);
      child.kill('SIGTERM');
      expect(await exited, said()).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
    expect(said()).not.toMatch(/ERR_UNSUPPORTED|ExperimentalWarning/);
  }, 150_000);
});

/** Starts a built service the way its image does (its CMD in the deploy output), collecting what it prints. */
function spawnImageCommand(cmd: readonly string[], cwd: string, env: NodeJS.ProcessEnv) {
  const child = spawn(cmd[0]!, cmd.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  return { child, exited, output: () => output };
}

/** Polls the started service's /readyz until 200; fails at once, with its output, if it exits first or the time runs out. */
async function waitReady(port: number, child: ChildProcess, said: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let status = 0;
  while (status !== 200) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}:\n${said().slice(-3000)}`);
    if (Date.now() > deadline)
      throw new Error(`no 200 from /readyz within ${timeoutMs / 1000} s (last ${status}):\n${said().slice(-3000)}`);
    status = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status !== 200) await sleep(200);
  }
}
