export * from './load-config.ts';
export * from './shared-keys.ts';
