import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Names } from '@ops/contracts';
import type { LedgerAdminClient, LedgerClient } from '@ops/ledger-client';

/** What the API handlers read and act through: NATS only (the console has no database). */
export interface ConsoleDeps {
  readonly nc: NatsConnection;
  readonly names: Names;
  readonly jsm: JetStreamManager;
  /** ops.ledger.api.* (reads, ensure_run) */
  readonly ledger: LedgerClient;
  /** ops.ledger.admin.* (the operator actions) */
  readonly admin: LedgerAdminClient;
}
