// The public entry of @ops/config: values, then types, each by name (nats.js' mod.ts).
// A name not listed here is internal to the package.

export { ConfigError, describeKeys, intKey, loadConfig } from './load-config.ts';
export { SERVICE_MALLOC_ARENA_MAX, SERVICE_NODE_OPTIONS, serviceMallocArenaMax, serviceNodeOptions } from './node-options.ts';
export { sharedKeys } from './shared-keys.ts';

export type { Env } from './load-config.ts';
