export { createHttpGraphClient, type HttpGraphClientOptions } from './http-client.ts';
export { parseRetryAfter, type Sleep } from './retry.ts';
export * from './types.ts';
