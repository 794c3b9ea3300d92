// The public entry of @ops/nats: values, then types, each by name (nats.js' mod.ts).
// A name not listed here is internal to the package.

export { createAdmission } from './admission.ts';
export { startBatchConsumer } from './batch-consumer.ts';
export { connectNats, drainNats, natsConnected, natsCredentials, natsReady } from './connect.ts';
export { deadLetter } from './dead-letter.ts';
export { createLease, deleteLease, openLocksBucket, readLease, updateLease } from './leases.ts';
export { withLeanRequests } from './lean-requests.ts';
export { ledgerCaughtUp } from './ledger-progress.ts';
export { assertSupportedNatsServer, isSupportedNatsServer } from './server-version.ts';
export { startSlotConsumer } from './slot-consumer.ts';
export { awaitTopology, deleteTopology, ensureDurableConsumer, ensureLocksBucket, ensureTopology, isNotFound } from './topology.ts';

export type { BatchConsumer } from './batch-consumer.ts';
export type { NatsConnection } from './connect.ts';
export type { DeadLetter } from './dead-letter.ts';
export type { LeaseRead } from './leases.ts';
