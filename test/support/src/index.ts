// The public entry of @ops/test-support: values, then types, each by name.
// Every test imports its support from here; vitest.config.ts runs
// ./global-setup.ts once per run (it is not an export).

export { createTestDatabase, withOrm } from './db.ts';
export { testEnv } from './env.ts';
export { captureLogger, shiftableClock } from './logger.ts';
export { cleanupNats, connectTestNats, uniqueNames } from './nats.ts';
export { freePort, startNatsServer } from './nats-server.ts';
export { startPgServer } from './pg-server.ts';
export { ROOT, runNode, startService } from './process.ts';

export type { TestDatabase } from './db.ts';
export type { NatsServerOptions, OwnNatsServer } from './nats-server.ts';
export type { OwnPgServer, PgServerOptions } from './pg-server.ts';
export type { RunResult, ServiceProcess } from './process.ts';
