import { Migration } from '@mikro-orm/migrations';
import { DB_ROLES } from '../roles.ts';

/**
 * A run's timeline (issue #21 item 6; docs/architecture.md, "Run timeline").
 *
 * `run_events` is append-only: one narrow row per ledger event the ledger
 * applied (started, progress, completed; `heal` for housekeeping's closure),
 * per event it refused for a reason an operator should see (`ignored`: a
 * zombie's stale attempt, a late heal, an event after the completion — never
 * a plain redelivery), and per execution duplicate a worker recorded
 * (`duplicate`). The ledger writes it in the same statement as the run's row
 * (sql/apply-events.ts, sql/record-duplicate.ts): no extra round trip.
 *
 * `id` orders entries of equal time in the order they were written.
 * `(attempt, seq)` is the event's identity (its Nats-Msg-Id; a heal's attempt
 * is never an execution's), null for a duplicate: the unique index makes a
 * redelivered, replayed or re-published event a no-op (`ON CONFLICT DO
 * NOTHING`) — one entry per event, its first decision — and is also the
 * index a run's timeline is read by (run_id first). `stream_seq` is the
 * event's OPS_LEDGER sequence, for audit. No foreign key: like run_actions, a
 * timeline row never blocks a write of operation_runs. Operator actions stay in run_actions (007); the
 * ledger's get_run_timeline reads both.
 */
export class Migration008RunTimeline extends Migration {
  override name = '008-run-timeline';

  override up(): void {
    this.addSql(`
      CREATE TABLE run_events (
        id bigint GENERATED ALWAYS AS IDENTITY,
        run_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('started', 'progress', 'completed', 'heal', 'duplicate')),
        attempt integer NULL,
        seq integer NULL,
        at timestamptz NOT NULL,
        stream_seq bigint NULL,
        ignored text NULL CHECK (ignored IN ('stale_attempt', 'out_of_order', 'after_completion', 'heal_after_completion', 'after_cancel')),
        detail jsonb NULL,
        CHECK ((kind = 'duplicate') = (stream_seq IS NULL) AND (attempt IS NULL) = (stream_seq IS NULL) AND (seq IS NULL) = (stream_seq IS NULL))
      )`);
    this.addSql('CREATE UNIQUE INDEX run_events_run_event ON run_events (run_id, attempt, seq)');
    this.addSql('REVOKE ALL ON run_events FROM PUBLIC');
    this.addSql(`GRANT SELECT, INSERT ON run_events TO ${DB_ROLES.ledger}`);
  }
}
