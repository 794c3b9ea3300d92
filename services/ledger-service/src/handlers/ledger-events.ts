import { type JetStreamManager, type JsMsg, jetstream } from '@nats-io/jetstream';
import { type NatsConnection, nanos } from '@nats-io/nats-core';
import { decodeMessage, LEDGER_EVENT_KINDS, LEDGER_EVENT_SCHEMAS, type LedgerEventKind, type Names } from '@ops/contracts';
import { pgErrorClass, pgErrorCode } from '@ops/db';
import type { Logger } from '@ops/logging';
import { type BatchConsumer, type DeadLetter, deadLetter, ensureDurableConsumer, startBatchConsumer } from '@ops/nats';
import type { Clock } from '../domain/clock.ts';
import type { LedgerMetrics } from '../metrics.ts';
import type { EventOutcome, PendingEvent, RunsRepository } from '../repositories/runs-repository.ts';
import { observeAppliedEvent } from '../run-metrics.ts';

export interface LedgerEventsDeps {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly names: Names;
  readonly repo: RunsRepository;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: LedgerMetrics;
  readonly batchMax: number;
  readonly batchWaitMs: number;
  readonly maxEventBytes: number;
}

/** Redelivery delay after a failed transaction (the database is likely down). */
const RETRY_DELAY_MS = 2_000;

/**
 * The durable consumer of OPS_LEDGER: applies started/progress/completed in
 * batches, one transaction per batch, and acks only after the commit. A
 * message that can never apply (bad bytes, bad schema, unknown run, data
 * PostgreSQL refuses) is copied to OPS_DLQ with a reason and terminated; the
 * loop keeps going.
 */
export async function startLedgerEventsConsumer(deps: LedgerEventsDeps): Promise<BatchConsumer> {
  const { names } = deps;
  await ensureDurableConsumer(deps.jsm, names.streams.ledger, {
    durable_name: names.consumers.ledgerEvents,
    filter_subject: names.ledgerEventsWildcard,
    ack_wait: nanos(30_000),
    // a valid event is retried until the database takes it; invalid ones are terminated
    max_deliver: -1,
    max_ack_pending: Math.max(deps.batchMax * 4, 1024),
    description: 'ledger-service: applies run events to operation_runs',
  });
  const js = jetstream(deps.nc);
  const consumer = await js.consumers.get(names.streams.ledger, names.consumers.ledgerEvents);
  return startBatchConsumer(consumer, { maxBatch: deps.batchMax, maxWaitMs: deps.batchWaitMs, logger: deps.logger }, (batch) =>
    handleBatch(deps, js, batch),
  );
}

async function handleBatch(deps: LedgerEventsDeps, js: ReturnType<typeof jetstream>, batch: JsMsg[]): Promise<void> {
  const valid: Array<{ msg: JsMsg; pending: PendingEvent }> = [];
  const invalid: Array<{ msg: JsMsg; letter: DeadLetter }> = [];
  for (const msg of batch) {
    const kind = msg.subject.slice(msg.subject.lastIndexOf('.') + 1) as LedgerEventKind;
    if (!LEDGER_EVENT_KINDS.includes(kind)) {
      invalid.push({ msg, letter: { reason: 'unknown_subject', detail: `no ledger event kind "${kind.slice(0, 40)}"` } });
      continue;
    }
    const decoded = decodeMessage(LEDGER_EVENT_SCHEMAS[kind], msg.data, deps.maxEventBytes);
    if (!decoded.ok) {
      invalid.push({ msg, letter: { reason: decoded.reason, detail: decoded.detail } });
      continue;
    }
    valid.push({ msg, pending: { event: decoded.value, streamSeq: msg.info.streamSequence } });
  }

  if (valid.length > 0) {
    deps.metrics.batchSize.observe(valid.length);
    try {
      settleApplied(
        deps,
        valid,
        await deps.repo.applyEvents(
          valid.map((v) => v.pending),
          deps.clock.now(),
        ),
        invalid,
      );
    } catch (err) {
      deps.metrics.batchFailures.inc();
      if (pgErrorClass(err) === 'data') {
        // PostgreSQL refused the DATA of some event (a NUL, an unpaired surrogate, a value out of
        // range): one by one, so that event alone is dead-lettered and the others are applied —
        // a poison event must never hold the batch, and itself, forever
        deps.logger.warn({ err, size: valid.length }, 'ledger event batch refused as data; applying its events one by one');
        await applyOneByOne(deps, valid, invalid);
      } else {
        // connection, permission, anything else: the batch is fine, the database is not — retry it whole
        deps.logger.error({ err, size: valid.length }, 'ledger event batch failed; redelivering');
        for (const { msg } of valid) msg.nak(RETRY_DELAY_MS);
      }
    }
  }

  for (const { msg, letter } of invalid) {
    try {
      await deadLetter(js, deps.names, 'ledger', msg, letter);
      deps.metrics.deadLetters.inc({ reason: letter.reason });
      deps.logger.warn({ reason: letter.reason, subject: msg.subject, streamSeq: msg.info.streamSequence }, 'ledger event dead-lettered');
    } catch (err) {
      // the copy was not stored: keep the original for another try
      deps.logger.error({ err, streamSeq: msg.info.streamSequence }, 'dead-lettering failed; redelivering');
      msg.nak(RETRY_DELAY_MS);
    }
  }
}

type Valid = Array<{ msg: JsMsg; pending: PendingEvent }>;
type Invalid = Array<{ msg: JsMsg; letter: DeadLetter }>;

/** Acks what was applied or ignored (after the commit); an event of an unknown run goes to the dead letters. */
function settleApplied(deps: LedgerEventsDeps, valid: Valid, outcomes: readonly EventOutcome[], invalid: Invalid): void {
  outcomes.forEach((outcome, i) => {
    const { msg, pending } = valid[i]!;
    if (outcome.result === 'unknown_run') {
      invalid.push({ msg, letter: { reason: 'unknown_run', detail: "no such run in the event's workspace" } });
      return;
    }
    deps.metrics.events.inc({ kind: pending.event.kind, result: outcome.result === 'applied' ? 'applied' : outcome.reason });
    if (outcome.result === 'applied') observeAppliedEvent(deps.metrics, pending.event, outcome);
    msg.ack();
  });
}

async function applyOneByOne(deps: LedgerEventsDeps, valid: Valid, invalid: Invalid): Promise<void> {
  for (const [i, v] of valid.entries()) {
    try {
      settleApplied(deps, [v], await deps.repo.applyEvents([v.pending], deps.clock.now()), invalid);
    } catch (err) {
      if (pgErrorClass(err) === 'data') {
        const code = pgErrorCode(err) ?? 'unknown';
        invalid.push({
          msg: v.msg,
          letter: { reason: 'database_refused', detail: `PostgreSQL refused the event's data (SQLSTATE ${code})` },
        });
        continue;
      }
      // the database itself failed meanwhile: this event and the rest come back whole
      deps.logger.error({ err }, 'ledger event failed; redelivering the rest of the batch');
      for (const rest of valid.slice(i)) rest.msg.nak(RETRY_DELAY_MS);
      return;
    }
  }
}
