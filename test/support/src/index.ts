// The public entry of @ops/test-support: values, then types, each by name.
// Every test imports its support from here; vitest.config.ts runs
// ./global-setup.ts once per run (it is not an export).
// vitest is not a dependency of this package on purpose: the harnesses
// register hooks (beforeAll, afterAll) with the runner's own vitest, the
// root's devDependency, which Node finds by walking up; a copy installed
// here could be a second instance whose hooks never run.

export { insertBacklog } from './backlog.ts';
export { ensureChromium, openBrowser, traceRequests } from './browser.ts';
export { createTestDatabase, withOrm } from './db.ts';
export { testEnv } from './env.ts';
export { useHousekeepingStack } from './housekeeping-harness.ts';
export { useLedgerHarness } from './ledger-harness.ts';
export { faketimeEnv } from './faketime.ts';
export { captureLogger, shiftableClock } from './logger.ts';
export { cleanupNats, connectTestNats, consumerDrained, uniqueNames } from './nats.ts';
export { MACHINE_NATS_SERVER, natsServerBinary } from './nats-binary.ts';
export { freePort } from './net.ts';
export { startNatsServer } from './nats-server.ts';
export { renderNodeConfig, startNatsCluster } from './nats-cluster.ts';
export { cliEnv, opsctl, opsctlJson } from './opsctl-cli.ts';
export { startPgServer } from './pg-server.ts';
export { prng, seedFrom } from './random.ts';
export { processAlive, ROOT, runNode, startService } from './process.ts';
export { insertRun, publishJobByHand } from './runs.ts';
export { startTcpProxy } from './tcp-proxy.ts';
export { sleep } from './time.ts';
export { GRAPH_SECRET, useWorkerStack } from './worker-harness.ts';

export type { BacklogOptions } from './backlog.ts';
export type { BrowserSession } from './browser.ts';
export type { TestDatabase } from './db.ts';
export type { HousekeepingStack } from './housekeeping-harness.ts';
export type { HarnessOptions, LedgerHarness } from './ledger-harness.ts';
export type { NatsServerOptions, OwnNatsServer } from './nats-server.ts';
export type { ClusterNode, NatsCluster } from './nats-cluster.ts';
export type { OpsctlResult } from './opsctl-cli.ts';
export type { OwnPgServer, PgServerOptions } from './pg-server.ts';
export type { RunResult, ServiceProcess } from './process.ts';
export type { InsertRunOptions } from './runs.ts';
export type { TcpProxy } from './tcp-proxy.ts';
export type { WorkerStack } from './worker-harness.ts';
