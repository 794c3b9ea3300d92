// The public entry of @ops/inspect: values, then types, each by name (nats.js' mod.ts).
// A name not listed here is internal to the package.

export { listDeadLetters } from './dead-letters.ts';
export { listLocks } from './locks.ts';
export { actionsOf, readRunDetail, TIMELINE_MAX_ENTRIES } from './run-detail.ts';

export type { DeadLetterJson, DlqListJson } from './dead-letters.ts';
export type { LockJson, LocksListJson } from './locks.ts';
export type { RunActionJson, RunDetail } from './run-detail.ts';
