// The public entry of @ops/logging: values, then types, each by name (nats.js' mod.ts).
// A name not listed here is internal to the package.

export { createServiceLogger } from './service-logger.ts';

export type { Logger } from 'pino';
