export * from './load.ts';
export * from './shared-keys.ts';
