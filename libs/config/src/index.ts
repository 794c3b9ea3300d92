export * from './load-config.ts';
export * from './shared-keys.ts';
export * from './node-options.ts';
