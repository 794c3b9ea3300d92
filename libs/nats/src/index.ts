export * from './batch-consumer.ts';
export * from './connect.ts';
export * from './dead-letter.ts';
export * from './kv-cas.ts';
export * from './topology.ts';
