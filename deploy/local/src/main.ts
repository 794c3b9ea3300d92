import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@ops/config';
import { DB_ROLES, withRole } from '@ops/db';
import { loadLocalConfig } from './config.ts';
import { startOwnNats } from './own-nats.ts';
import { type ChildSpec, runOnce, type Supervised, startChild, stopAll, waitReady } from './supervisor.ts';

/**
 * `pnpm start`: the whole system in the foreground on this machine.
 * PostgreSQL comes from the environment (default: the local one); NATS too
 * when NATS_URL is set — else a nats-server 2.10 of its own (own-nats.ts);
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

// no NATS_URL: the project's own nats-server (the machine's may be older than the services accept)
const ownNats = process.env['NATS_URL']
  ? undefined
  : await startOwnNats(ROOT, config.START_NATS_PORT, config.START_NATS_STORE_DIR).catch((err: unknown) => {
      process.stderr.write(`start: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
if (ownNats) env['NATS_URL'] = ownNats.url;
const natsUrl = ownNats ? ownNats.url : config.NATS_URL.join(',');

// every long-running service, with the port of its /readyz (and whether it serves /metrics)
const base = config.START_PORT_BASE;
const fakeGraphPort = base + 9;
const fakeGraphUrl = `http://127.0.0.1:${fakeGraphPort}`;
// the console: loopback only, whatever the environment says (a token printed on
// this terminal must not open a door for the network); its token is the
// environment's CONSOLE_TOKEN, else a new random one per start
const consolePort = base + 3;
const consoleToken = config.CONSOLE_TOKEN ?? randomBytes(24).toString('base64url');
const services: Array<ChildSpec & { port: number; metrics?: false }> = [
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
  {
    // no database either: the web console reads and acts over NATS only (docs/console.md)
    name: 'console',
    script: 'services/console/src/main.ts',
    env: { ...env, CONSOLE_HOST: '127.0.0.1', CONSOLE_PORT: String(consolePort), CONSOLE_TOKEN: consoleToken },
    port: consolePort,
    metrics: false,
  },
];

const running: Supervised[] = [];
let stopping = false;
async function shutdown(code: number, why: string): Promise<never> {
  if (!stopping) {
    stopping = true;
    process.stdout.write(`start: ${why}; stopping every service…\n`);
    await stopAll(running, 20_000);
    // NATS last: the services drain their connections on the way out
    if (ownNats) await stopAll([ownNats], 5_000);
    process.stdout.write('start: stopped\n');
  }
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0, 'interrupted'));
process.on('SIGTERM', () => void shutdown(0, 'terminated'));
// never leave orphans behind, even on an unexpected exit of this process
process.on('exit', () => {
  for (const c of [...running, ...(ownNats ? [ownNats] : [])]) if (c.child.exitCode === null) c.child.kill('SIGKILL');
});

const seedCode = await runOnce(
  { name: 'seed', script: 'services/ledger-service/src/seed/main.ts', args: ['--if-empty'], env },
  pretty,
  ROOT,
);
if (seedCode !== 0) {
  process.stderr.write('start: the seed job failed (see above); is PostgreSQL running and DATABASE_URL right?\n');
  await shutdown(1, 'the seed job failed');
}

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
    ...services.map((s) => `  ${s.name.padEnd(16)} http://127.0.0.1:${s.port}/readyz${s.metrics === false ? '' : '  /metrics'}`),
    `  NATS ${natsUrl}  prefix "${config.NATS_PREFIX}"${ownNats ? `  — own nats-server ${ownNats.version}; for opsctl and the nats CLI: export NATS_URL=${natsUrl}` : ''}`,
    '  try: pnpm opsctl tenants list   then   pnpm opsctl dispatch assignments.fetch --workspace <id> --tenant <id>',
    'Ctrl-C stops everything.',
    '',
    // the one line to open the console with: this terminal is the only place the token is shown (the console redacts it from its logs)
    env['CONSOLE_AUTH'] === 'proxy'
      ? `console: http://127.0.0.1:${consolePort}/ — behind your auth proxy (CONSOLE_AUTH=proxy)`
      : `console: http://127.0.0.1:${consolePort}/ — sign in with token ${consoleToken}`,
    '',
  ].join('\n'),
);
