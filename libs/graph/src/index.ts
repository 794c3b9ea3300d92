// The public entry of @ops/graph: values, then types, each by name (nats.js' mod.ts).
// A name not listed here is internal to the package.

export { createHttpGraphClient } from './http-client.ts';
export { isGraphError } from './types.ts';

export type { GraphAssignment, GraphClient } from './types.ts';
