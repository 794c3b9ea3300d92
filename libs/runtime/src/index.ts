export * from './http-server.ts';
export * from './lifecycle.ts';
export * from './metrics.ts';
export * from './service-main.ts';
