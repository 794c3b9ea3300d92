export * from './connect.ts';
export * from './topology.ts';
export * from './dead-letter.ts';
export * from './batch-consumer.ts';
export * from './kv-cas.ts';
