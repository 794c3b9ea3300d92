import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { Names } from '@ops/contracts';
import type { LedgerClient } from '@ops/ledger-client';
import type { Logger } from '@ops/logging';
import type { LeaseObservations } from './domain/observations.ts';
import type { Thresholds } from './domain/verdict.ts';
import type { HousekeepingMetrics } from './metrics.ts';

/** What one reconcile execution needs (shared by reconcile.ts, heal.ts and the handlers). */
export interface ReconcileDeps {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly kv: KV;
  readonly names: Names;
  readonly ledger: LedgerClient;
  readonly logger: Logger;
  readonly metrics: HousekeepingMetrics;
  readonly owner: string;
  readonly thresholds: Thresholds;
  /** a running workspace lease this replica has seen unchanged this long (its own clock) belongs to a dead execution */
  readonly leaseStaleMs: number;
  /** what this replica has seen of each lease, across its ticks (the one clock staleness is judged on) */
  readonly observations: LeaseObservations;
  readonly now: () => Date;
}
