export * from './load-config.ts';
export * from './node-options.ts';
export * from './shared-keys.ts';
