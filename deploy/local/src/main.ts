import { fileURLToPath } from 'node:url';
import { ConfigError } from '@ops/config';
import { DB_ROLES, withRole } from '@ops/db';
import { loadLocalConfig } from './config.ts';
import { type ChildSpec, runOnce, type Supervised, startChild, stopAll, waitReady } from './supervisor.ts';

/**
 * `pnpm start`: the whole system in the foreground on this machine.
 * NATS and PostgreSQL come from the environment (default: the local ones);
 * the seed job migrates and, when the database is empty, seeds it; then
 * every service starts as its own process. Ctrl-C stops them gracefully.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const pretty = process.stdout.isTTY === true;

let loaded: ReturnType<typeof loadLocalConfig>;
try {
  loaded = loadLocalConfig();
} catch (err) {
  process.stderr.write(`start: ${err instanceof ConfigError ? err.message : String(err)}\n`);
  process.exit(2);
}
const { config, env } = loaded;

// every long-running service, with the port of its /readyz
const base = config.START_PORT_BASE;
const fakeGraphPort = base + 9;
const fakeGraphUrl = `http://127.0.0.1:${fakeGraphPort}`;
const services: Array<ChildSpec & { port: number }> = [
  {
    name: 'fake-graph',
    script: 'services/fake-graph/src/main.ts',
    env: { ...env, FAKE_GRAPH_PORT: String(fakeGraphPort), FAKE_GRAPH_CLIENT_SECRET: config.LOCAL_GRAPH_SECRET },
    port: fakeGraphPort,
  },
  {
    name: 'ledger-service',
    script: 'services/ledger-service/src/main.ts',
    env: {
      ...env,
      DATABASE_URL: config.LEDGER_DATABASE_URL ?? withRole(config.DATABASE_URL, DB_ROLES.ledger),
      HTTP_PORT: String(base),
    },
    port: base,
  },
  {
    name: 'assignment-worker',
    script: 'services/assignment-worker/src/main.ts',
    env: {
      ...env,
      DATABASE_URL: config.WORKER_DATABASE_URL ?? withRole(config.DATABASE_URL, DB_ROLES.worker),
      HTTP_PORT: String(base + 1),
      // the local stack talks to the fake Graph; production sets these to Microsoft's
      GRAPH_AUTHORITY_URL: fakeGraphUrl,
      GRAPH_BASE_URL: fakeGraphUrl,
      GRAPH_CLIENT_SECRET: config.LOCAL_GRAPH_SECRET,
    },
    port: base + 1,
  },
  {
    // no database at all: housekeeping talks to the ledger over NATS only
    name: 'housekeeping',
    script: 'services/housekeeping/src/main.ts',
    env: { ...env, HTTP_PORT: String(base + 2) },
    port: base + 2,
  },
];

const seedCode = await runOnce(
  { name: 'seed', script: 'services/ledger-service/src/seed/main.ts', args: ['--if-empty'], env },
  pretty,
  ROOT,
);
if (seedCode !== 0) {
  process.stderr.write('start: the seed job failed (see above); is PostgreSQL running and DATABASE_URL right?\n');
  process.exit(1);
}

const running: Supervised[] = [];
let stopping = false;
async function shutdown(code: number, why: string): Promise<never> {
  if (!stopping) {
    stopping = true;
    process.stdout.write(`start: ${why}; stopping every service…\n`);
    await stopAll(running, 20_000);
    process.stdout.write('start: stopped\n');
  }
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0, 'interrupted'));
process.on('SIGTERM', () => void shutdown(0, 'terminated'));
// never leave orphans behind, even on an unexpected exit of this process
process.on('exit', () => {
  for (const c of running) if (c.child.exitCode === null) c.child.kill('SIGKILL');
});

for (const spec of services) {
  const child = startChild(spec, pretty, ROOT);
  running.push(child);
  void child.exited.then((code) => {
    if (!stopping) void shutdown(1, `${spec.name} exited unexpectedly (code ${code})`);
  });
  if (!(await waitReady(`http://127.0.0.1:${spec.port}/readyz`, 30_000, child.exited))) {
    await shutdown(1, `${spec.name} did not become ready on :${spec.port}`);
  }
}

process.stdout.write(
  [
    '',
    'system ready:',
    ...services.map((s) => `  ${s.name.padEnd(16)} http://127.0.0.1:${s.port}/readyz  /metrics`),
    `  NATS ${config.NATS_URL.join(',')}  prefix "${config.NATS_PREFIX}"`,
    '  try: pnpm opsctl tenants list   then   pnpm opsctl dispatch assignments.fetch --workspace <id> --tenant <id>',
    'Ctrl-C stops everything.',
    '',
  ].join('\n'),
);
