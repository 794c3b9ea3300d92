// The public entry of @ops/ledger-client: values, then types, each by name (nats.js' mod.ts).
// A name not listed here is internal to the package.

export { createLedgerAdminClient } from './admin.ts';
export { createLedgerClient } from './client.ts';
export { dispatch, isJobPublishError } from './dispatch.ts';
export { attemptEvents, isDuplicateEventError, publishClosure, publishMarkedCompletion } from './events.ts';
export { requestService } from './request.ts';

export type { LedgerAdminClient } from './admin.ts';
export type { LedgerClient } from './client.ts';
export type { DispatchResult } from './dispatch.ts';
