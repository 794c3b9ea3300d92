import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { ROOT, sleep } from '@ops/test-support';
import { DockerComposeEnvironment, type StartedDockerComposeEnvironment, Wait } from 'testcontainers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ContainerState, composeArgs, containers, must, sh } from './docker.ts';

/**
 * The system in containers, for real (issue #20): the images built from
 * deploy/docker/Dockerfile, docker-compose.yml brought up by testcontainers
 * (Compose v2; Ryuk off: its image cannot be pulled here) with the local
 * stand-ins of deploy/docker/compose.local.yml, on an engine that
 * deploy/docker/engine.sh provides — and leaves the machine's networking as
 * it found it. Every container's log is printed when a test fails.
 */
process.env['TESTCONTAINERS_RYUK_DISABLED'] = 'true';

const project = `opscompose${process.pid}`;
// no host ports: the machine's own PostgreSQL and NATS hold 5432 and 4222
const files = ['docker-compose.yml', 'deploy/docker/compose.local.yml', 'test/compose/no-host-ports.yml'];
const IMAGES = [
  'ops/ledger-service:0.1.0',
  'ops/assignment-worker:0.1.0',
  'ops/housekeeping:0.1.0',
  'ops/fake-graph:0.1.0',
  'ops/opsctl:0.1.0',
  'ops/console:0.1.0',
];

let work: string;
let envFile: string;
let secrets: Record<string, string>;
let env: StartedDockerComposeEnvironment | undefined;
let upStartedAt: number;
const compose = (...rest: string[]) => composeArgs(project, files, envFile, ...rest);
/** opsctl in its container, as `docker compose run --rm opsctl …` */
const opsctl = async <T>(...args: string[]): Promise<T> =>
  JSON.parse(await must('docker', compose('run', '--rm', '--no-deps', 'opsctl', ...args, '--json'), 240_000)) as T;
const byService = (all: readonly ContainerState[], service: string) => all.filter((c) => c.service === service);
/** opsctl as the operator NATS user (issue #21): the actions of ops.ledger.admin.* */
const asOperator = async <T>(...args: string[]): Promise<T> =>
  JSON.parse(
    await must(
      'docker',
      [
        ...compose('run', '--rm', '--no-deps', '-e', 'NATS_USER=operator', '-e', `NATS_PASSWORD=${secrets['NATS_PASSWORD_OPERATOR']}`),
        'opsctl',
        ...args,
        '--actor',
        'compose-test@ops',
        '--reason',
        'acceptance of the operator actions',
        '--json',
      ],
      240_000,
    ),
  ) as T;
interface Shown {
  status: string;
  outcome: string;
  failure_summary: Array<{ code: string }>;
  actions: Array<{ action: string; actor: string; reason: string }>;
}

/** engine events of the project since `since` (ms): start, die, health_status */
async function events(since: number): Promise<Array<{ service: string; action: string; at: number; exitCode?: string }>> {
  const out = await must('docker', [
    'events',
    '--since',
    String(Math.floor(since / 1000) - 1),
    '--until',
    String(Math.ceil(Date.now() / 1000)),
    '--filter',
    `label=com.docker.compose.project=${project}`,
    '--filter',
    'type=container',
    '--format',
    '{{json .}}',
  ]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { Action: string; timeNano: number; Actor: { Attributes: Record<string, string> } })
    .map((e) => ({
      service: e.Actor.Attributes['com.docker.compose.service'] ?? '',
      action: e.Action.replace(/^health_status: /, 'health:'),
      at: e.timeNano / 1e6,
      exitCode: e.Actor.Attributes['exitCode'],
    }));
}

async function fakeGraph(path: string, init?: RequestInit): Promise<Response> {
  const [graph] = byService(await containers(project), 'fake-graph');
  return fetch(`http://${graph!.ip}:8090${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ops-compose-'));
  envFile = join(work, '.env');
  await writeFile(envFile, await must('bash', ['deploy/make-secrets.sh']));
  secrets = Object.fromEntries(
    (await readFile(envFile, 'utf8'))
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  for (const step of ['start', 'bases', 'standins']) {
    const r = await sh('bash', ['deploy/docker/engine.sh', step], 900_000);
    process.stderr.write(r.stderr);
    if (r.code !== 0) throw new Error(`engine.sh ${step}: exit ${r.code}`);
    // what the engine held before this run (empty on a fresh machine: every image is built here)
    if (step === 'start') process.stdout.write(`docker system df (engine started):\n${await must('docker', ['system', 'df'])}\n`);
  }
  upStartedAt = Date.now();
  env = await new DockerComposeEnvironment(ROOT, files)
    .withProjectName(project)
    .withEnvironmentFile(envFile)
    .withBuild()
    // every running container until healthy; the seed has exited by then (compose waits for it)
    .withDefaultWaitStrategy(Wait.forHealthCheck())
    .withStartupTimeout(300_000)
    .up();
  process.stderr.write(`compose: up (with build) in ${((Date.now() - upStartedAt) / 1000).toFixed(1)} s\n`);
  // opsctl runs on demand (profile tools): its image now, so that `run` prints only its JSON
  await must('docker', compose('--profile', 'tools', 'build', 'opsctl'), 600_000);
}, 1_800_000);

afterEach(async (ctx) => {
  if (ctx.task.result?.state !== 'fail' || !envFile) return;
  const logs = await sh('docker', compose('logs', '--no-color', '--timestamps', '--tail', '200'), 60_000);
  process.stderr.write(`--- compose logs (every container, last 200 lines each) ---\n${logs.stdout}${logs.stderr}\n`);
});

afterAll(async () => {
  // the last test brings the project down and stops the engine; this is for a failure before it
  if (envFile) await sh('docker', compose('down', '-v', '--remove-orphans', '--timeout', '5'), 180_000);
  if (work) await rm(work, { recursive: true, force: true });
}, 300_000);

describe('docker compose, for real', () => {
  it('starts in the order its health checks enforce: PostgreSQL healthy → seed exits 0 → ledger healthy → the rest', async () => {
    const ev = await events(upStartedAt);
    const first = (service: string, action: string) => ev.find((e) => e.service === service && e.action === action)?.at;
    const postgresHealthy = first('postgres', 'health:healthy');
    const seedStart = first('seed', 'start');
    const seedDie = ev.find((e) => e.service === 'seed' && e.action === 'die');
    const ledgerStart = first('ledger-service', 'start');
    const ledgerHealthy = first('ledger-service', 'health:healthy');
    const order = ev.filter((e) => /^(start|die|health:)/.test(e.action)).map((e) => `${e.service} ${e.action}`);
    process.stdout.write(`compose events (start, die, health): ${[...new Set(order)].join(' → ')}\n`);
    expect(postgresHealthy).toBeDefined();
    expect(seedStart).toBeGreaterThanOrEqual(postgresHealthy!);
    expect(seedDie?.exitCode).toBe('0');
    expect(ledgerStart).toBeGreaterThanOrEqual(seedDie!.at);
    expect(ledgerHealthy).toBeDefined();
    for (const service of ['assignment-worker', 'housekeeping']) expect(first(service, 'start')).toBeGreaterThanOrEqual(ledgerHealthy!);

    const all = await containers(project);
    const ps = await must('docker', compose('ps', '-a', '--format', 'table {{.Service}}\t{{.Status}}'));
    process.stdout.write(`docker compose ps -a:\n${ps}\n`);
    for (const c of all.filter((c) => c.service !== 'seed')) expect(`${c.service} ${c.health}`).toBe(`${c.service} healthy`);
    const [seed] = byService(all, 'seed');
    expect(`${seed?.status} ${seed?.exitCode}`).toBe('exited 0');
  });

  it('runs `opsctl demo` in its container: both runs succeed', async () => {
    const demo = await opsctl<{ runs: Array<{ type: string; status: string; outcome: string }> }>('demo', '--timeout', '180');
    expect(demo.runs.map((r) => `${r.type} ${r.status} ${r.outcome}`)).toEqual([
      'assignments.fetch completed succeeded',
      'assignments.restore completed succeeded',
    ]);
  }, 300_000);

  it('serves the console in its container: 401 without credentials, the token signs in as operator, the demo runs listed, /metrics open', async () => {
    const [console] = byService(await containers(project), 'console');
    const url = `http://${console!.ip}:8084`;
    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${url}${path}`, { headers, signal: AbortSignal.timeout(10_000) });
    expect((await get('/api/session')).status).toBe(401);
    const bearer = { authorization: `Bearer ${secrets['CONSOLE_TOKEN']}` };
    expect(await (await get('/api/session', bearer)).json()).toMatchObject({ principal: 'operator' });
    const { workspaces } = (await (await get('/api/workspaces', bearer)).json()) as { workspaces: Array<{ id: string }> };
    const runs = (await (await get(`/api/runs?workspace=${workspaces[0]!.id}`, bearer)).json()) as { runs: Array<{ status: string }> };
    expect(runs.runs.filter((r) => r.status === 'completed').length).toBeGreaterThanOrEqual(2);
    // every page's reads, as the console's own NATS user
    for (const path of ['/api/locks', '/api/dlq', '/api/health']) expect((await get(path, bearer)).status, path).toBe(200);
    // scraped like the other services, without a sign-in: the image's package.json names the version
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/^ops_build_info\{version="\d+\.\d+\.\d+",node_version="v24\.[\d.]+",service="console"\} 1$/m);
    expect(metrics).not.toContain(secrets['CONSOLE_TOKEN']);
  }, 60_000);

  it("scales workers to 3; with a slow Graph, killing the container that holds a run's lease ends the run succeeded on a later attempt, one Graph call per key at a time", async () => {
    await must(
      'docker',
      compose(
        'up',
        '-d',
        '--no-build',
        '--no-deps',
        '--scale',
        'assignment-worker=3',
        '--wait',
        '--wait-timeout',
        '180',
        'assignment-worker',
      ),
      240_000,
    );
    let workers = byService(await containers(project), 'assignment-worker');
    expect(workers.map((w) => w.health)).toEqual(['healthy', 'healthy', 'healthy']);

    const slow = await fakeGraph('/_fake/faults', { method: 'PUT', body: JSON.stringify({ latencyMs: 5_000 }) });
    expect(slow.status).toBe(204);
    const tenants = await opsctl<{ workspaces: Array<{ id: string; tenants: Array<{ id: string }> }> }>('tenants', 'list');
    // not the first tenant: the demo ran it, and its cooldown holds for 15 minutes
    const ws = tenants.workspaces.find((w) => w.tenants.length > 1) ?? tenants.workspaces[1]!;
    const tenant = ws.tenants.at(-1)!;
    const dispatched = await opsctl<{ run_id: string; disposition: string }>(
      'dispatch',
      'assignments.fetch',
      '--workspace',
      ws.id,
      '--tenant',
      tenant.id,
    );
    expect(dispatched.disposition).toBe('created');

    // the lease names its holder as <hostname>:<pid>; a container's hostname is its short id
    let owner = '';
    for (let i = 0; i < 60 && !owner; i += 1) {
      const locks = await opsctl<{ locks: Array<{ run_id: string; state: string; owner: string }> }>('locks', 'list');
      owner = locks.locks.find((l) => l.run_id === dispatched.run_id && l.state === 'running')?.owner ?? '';
      if (!owner) await sleep(500);
    }
    expect(owner).not.toBe('');
    workers = byService(await containers(project), 'assignment-worker');
    const holder = workers.find((w) => owner.startsWith(`${w.hostname}:`));
    expect(holder, `no worker container is ${owner}`).toBeDefined();
    await must('docker', ['kill', holder!.id]);
    process.stdout.write(`killed ${holder!.name} (${owner}), the holder of run ${dispatched.run_id}'s lease\n`);

    const run = await opsctl<{ status: string; outcome: string; attempt: number }>(
      'runs',
      'wait',
      dispatched.run_id,
      '--workspace',
      ws.id,
      '--timeout',
      '240',
    );
    process.stdout.write(`run ${dispatched.run_id}: ${run.status} ${run.outcome}, attempt ${run.attempt}\n`);
    expect(`${run.status} ${run.outcome}`).toBe('completed succeeded');
    expect(run.attempt).toBeGreaterThanOrEqual(2);
    const probe = (await (await fakeGraph('/_fake/probe')).json()) as { by_key: Record<string, { max_concurrent: number }> };
    const overlaps = Object.entries(probe.by_key).filter(([, k]) => k.max_concurrent > 1);
    expect(overlaps).toEqual([]);
    expect(Math.max(...Object.values(probe.by_key).map((k) => k.max_concurrent))).toBe(1);
    await fakeGraph('/_fake/faults', { method: 'PUT', body: JSON.stringify({}) });
  }, 600_000);

  it('operator actions in the containers: cancel (running, queued), rerun (cooldown, --force), dlq redrive, locks release — each audited; the read-only user refused on each', async () => {
    const tenants = await opsctl<{ workspaces: Array<{ id: string; tenants: Array<{ id: string }> }> }>('tenants', 'list');
    const ws = tenants.workspaces.find((w) => w.tenants.length > 2) ?? tenants.workspaces[0]!;
    const show = (runId: string) => opsctl<Shown>('runs', 'show', runId, '--workspace', ws.id);
    const say = (line: string) => process.stdout.write(`operator actions: ${line}\n`);

    // a running run, slow Graph (5 s per call): cancelled, its worker fenced
    await fakeGraph('/_fake/faults', { method: 'PUT', body: JSON.stringify({ latencyMs: 5_000 }) });
    const slow = await opsctl<{ run_id: string }>('dispatch', 'assignments.fetch', '--workspace', ws.id, '--tenant', ws.tenants[1]!.id);
    let running = false;
    for (let i = 0; i < 60 && !running; i += 1) {
      running = (await opsctl<{ status: string }>('runs', 'show', slow.run_id, '--workspace', ws.id)).status === 'running';
      if (!running) await sleep(500);
    }
    expect(running).toBe(true);
    const cancelled = await asOperator<{ previous_status: string; run: { outcome: string } }>(
      'runs',
      'cancel',
      slow.run_id,
      '--workspace',
      ws.id,
    );
    expect(`${cancelled.previous_status} → ${cancelled.run.outcome}`).toBe('running → cancelled');
    const shownCancel = await show(slow.run_id);
    say(`runs cancel (running) ${slow.run_id}: ${shownCancel.status} ${shownCancel.outcome}, audit ${JSON.stringify(shownCancel.actions)}`);
    expect(shownCancel.failure_summary.map((f) => f.code)).toContain('run.cancelled');
    expect(shownCancel.actions).toEqual([expect.objectContaining({ action: 'cancel', actor: 'compose-test@ops' })]);
    await fakeGraph('/_fake/faults', { method: 'PUT', body: JSON.stringify({}) });

    // a queued run: no worker running, so it waits; its job is removed
    await must('docker', compose('stop', 'assignment-worker'), 120_000);
    const queued = await opsctl<{ run_id: string }>('dispatch', 'assignments.restore', '--workspace', ws.id, '--tenant', ws.tenants[2]!.id);
    const cancelQueued = await asOperator<{ previous_status: string; job_removed: boolean; run: { outcome: string } }>(
      'runs',
      'cancel',
      queued.run_id,
      '--workspace',
      ws.id,
    );
    expect(cancelQueued).toMatchObject({ previous_status: 'queued', job_removed: true, run: { outcome: 'cancelled' } });
    say(`runs cancel (queued) ${queued.run_id}: ${JSON.stringify((await show(queued.run_id)).actions)}`);
    await must('docker', compose('up', '-d', '--no-build', '--no-deps', '--wait', '--wait-timeout', '180', 'assignment-worker'), 240_000);

    // rerun of a run completed minutes ago: cooldown without --force, a new run with it
    const done = await opsctl<{ run_id: string }>('dispatch', 'assignments.fetch', '--workspace', ws.id, '--tenant', ws.tenants[2]!.id);
    await opsctl('runs', 'wait', done.run_id, '--workspace', ws.id, '--timeout', '120');
    const cooling = await asOperator<{ disposition: string }>('runs', 'rerun', done.run_id, '--workspace', ws.id);
    expect(cooling.disposition).toBe('cooldown');
    const forced = await asOperator<{ run_id: string; disposition: string }>('runs', 'rerun', done.run_id, '--workspace', ws.id, '--force');
    expect(forced.disposition).toBe('created');
    const rerun = await opsctl<{ outcome: string }>('runs', 'wait', forced.run_id, '--workspace', ws.id, '--timeout', '120');
    expect(rerun.outcome).toBe('succeeded');
    say(
      `runs rerun ${done.run_id}: without --force cooldown; --force → ${forced.run_id} ${rerun.outcome}, audit ${JSON.stringify((await show(forced.run_id)).actions)}`,
    );

    // a dead letter (a malformed event of the re-run's original, published as the worker may): redriven with --force,
    // dead-lettered again, and on the run's audit (the ledger links a letter to the run its payload names)
    type Letter = { seq: number; reason: string; detail: string | null; original_subject: string | null };
    const dlq = async () => (await opsctl<{ messages: Letter[] }>('dlq', 'list', '--origin', 'ledger')).messages;
    const before = await dlq();
    say(`dead letters before: ${JSON.stringify(before)}`);
    const last = Math.max(0, ...before.map((l) => l.seq));
    const [nats] = byService(await containers(project), 'nats');
    const nc = await connect({
      servers: `nats://${nats!.ip}:4222`,
      user: 'worker',
      pass: secrets['NATS_PASSWORD_WORKER'],
      inboxPrefix: '_INBOX.worker',
    });
    try {
      const { jetstream } = await import('@nats-io/jetstream');
      await jetstream(nc).publish(
        'ops.ledger.events.completed',
        JSON.stringify({ run_id: done.run_id, workspace_id: ws.id, not: 'an event' }),
      );
    } finally {
      await nc.close();
    }
    let letters: Letter[] = [];
    for (let i = 0; i < 40 && letters.length === 0; i += 1) {
      letters = (await dlq()).filter((l) => l.seq > last);
      if (letters.length === 0) await sleep(500);
    }
    expect(letters).toHaveLength(1);
    const redriven = await asOperator<{ seq: number; redriven_seq: number }>('dlq', 'redrive', String(letters[0]!.seq), '--force');
    const shownRedrive = await show(done.run_id);
    expect(shownRedrive.actions.map((a) => a.action)).toContain('dlq_redrive');
    say(
      `dlq redrive ${letters[0]!.seq} (${letters[0]!.reason}) → stored again as OPS_LEDGER #${redriven.redriven_seq}; run ${done.run_id} audit ${JSON.stringify(shownRedrive.actions)}`,
    );

    // the forced re-run's completion marker (the cooldown): released with --cooldown
    const locks = await opsctl<{ locks: Array<{ key: string; run_id: string; state: string }> }>('locks', 'list');
    const marker = locks.locks.find((l) => l.run_id === forced.run_id)!;
    expect(marker.state).toBe('completed');
    const released = await asOperator<{ holder: string; state: string }>('locks', 'release', marker.key, '--cooldown');
    expect(released).toMatchObject({ state: 'completed', holder: 'not_held' });
    say(`locks release ${marker.key}: ${JSON.stringify((await show(forced.run_id)).actions.map((a) => a.action))}`);

    // the read-only opsctl user: refused on each action
    for (const args of [
      ['runs', 'cancel', done.run_id, '--workspace', ws.id],
      ['runs', 'rerun', done.run_id, '--workspace', ws.id, '--force'],
      ['dlq', 'redrive', String(redriven.seq)],
      ['dlq', 'purge', String(redriven.seq)],
      ['locks', 'release', marker.key, '--force'],
    ]) {
      const r = await sh('docker', [...compose('run', '--rm', '--no-deps'), 'opsctl', ...args, '--actor', 'x', '--reason', 'y'], 120_000);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain('operator actions need the operator user (NATS_USER=operator)');
    }
    say('the read-only opsctl user was refused on runs cancel, runs rerun, dlq redrive, dlq purge, locks release');
  }, 900_000);

  it('least privilege: housekeeping credentials never make a worker ready, a wrong password is refused, the worker role cannot update operation_runs', async () => {
    const name = `${project}-wrong-user`;
    await must('docker', [
      ...compose('run', '-d', '--no-deps', '--name', name),
      '-e',
      'NATS_USER=housekeeping',
      '-e',
      `NATS_PASSWORD=${secrets['NATS_PASSWORD_HOUSEKEEPING']}`,
      'assignment-worker',
    ]);
    try {
      const [c] = (await containers(project)).filter((x) => x.name === name);
      let ready = false;
      for (let i = 0; i < 40 && !ready; i += 1) {
        ready = await fetch(`http://${c!.ip}:8082/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
          (r) => r.ok,
          () => false,
        );
        await sleep(500);
      }
      expect(ready).toBe(false);
      const logs = await sh('docker', ['logs', name]);
      expect(`${logs.stdout}${logs.stderr}`).toMatch(/Permissions Violation/i);
    } finally {
      await sh('docker', ['rm', '-f', name]);
    }

    const wrong = await sh(
      'docker',
      [...compose('run', '--rm', '--no-deps', '-e', 'NATS_PASSWORD=not-the-password'), 'opsctl', 'locks', 'list'],
      120_000,
    );
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('refused user opsctl: Authorization Violation');

    const update = await sh('docker', [
      ...compose('exec', '-T', 'postgres'),
      'psql',
      `postgresql://ops_worker:${secrets['OPS_WORKER_DB_PASSWORD']}@127.0.0.1:5432/ops`,
      '-v',
      'VERBOSITY=verbose',
      '-c',
      'UPDATE operation_runs SET status = status',
    ]);
    expect(update.code).not.toBe(0);
    expect(update.stderr).toContain('42501');
  }, 300_000);

  it('the machine CA reached the build stage only: no final image holds it', async () => {
    const sizes = await must('docker', ['images', '--format', 'table {{.Repository}}:{{.Tag}}\t{{.Size}}']);
    process.stdout.write(`docker images:\n${sizes}\n`);
    for (const image of IMAGES) {
      const [config] = JSON.parse(await must('docker', ['image', 'inspect', image])) as Array<{ Config: { Env: string[] } }>;
      expect(config!.Config.Env.filter((e) => e.startsWith('NODE_EXTRA_CA_CERTS'))).toEqual([]);
      const found = await must('docker', [
        'run',
        '--rm',
        '--entrypoint',
        '/bin/sh',
        image,
        '-c',
        'ls -d /build-ca 2>/dev/null; find / -xdev -name ca.pem 2>/dev/null; true',
      ]);
      expect(`${image}: ${found.trim()}`).toBe(`${image}: `);
    }
  }, 300_000);

  it('PostgreSQL ran init-roles.sh once, on the empty volume: a restart on the same volume does not run it again', async () => {
    const ran = async () => {
      const logs = await sh('docker', compose('logs', '--no-color', 'postgres'));
      return (`${logs.stdout}${logs.stderr}`.match(/init-roles: roles ready/g) ?? []).length;
    };
    expect(await ran()).toBe(1);
    await must('docker', compose('restart', 'postgres'), 120_000);
    await must('docker', compose('up', '-d', '--no-build', '--no-deps', '--wait', '--wait-timeout', '120', 'postgres'), 180_000);
    expect(await ran()).toBe(1);
  }, 300_000);

  it('comes down with its volumes, and the engine it started stops leaving the networking as it was', async () => {
    await env?.down({ removeVolumes: true });
    env = undefined;
    expect(await containers(project)).toEqual([]);
    const volumes = await must('docker', ['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`]);
    expect(volumes.trim()).toBe('');
    const df = await must('docker', ['system', 'df']);
    process.stdout.write(`docker system df:\n${df}\n`);
    const stop = await sh('bash', ['deploy/docker/engine.sh', 'stop'], 180_000);
    process.stdout.write(stop.stderr);
    expect(stop.code).toBe(0);
    expect(stop.stderr).toMatch(/networking identical|no engine started by this script/);
  }, 300_000);
});
