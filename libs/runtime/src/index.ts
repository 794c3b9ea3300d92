// The public entry of @ops/runtime: values, then types, each by name (nats.js' mod.ts).
// A name not listed here is internal to the package.

export { Counter, createRegistry, Gauge, Histogram, Registry, registerBuildInfo } from './metrics.ts';
export { runService } from './service-main.ts';
export { openServiceShell } from './service-shell.ts';

export type { OpsHttpServer } from './http-server.ts';
