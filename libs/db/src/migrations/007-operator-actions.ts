import { Migration } from '@mikro-orm/migrations';
import { DB_ROLES } from '../roles.ts';

/**
 * Operator actions (issue #21).
 *
 * `run_actions` is the audit record: every action an operator took through
 * `ops.ledger.admin.*` (cancel, rerun, dlq_redrive, dlq_purge, lock_release)
 * with the actor and reason the caller asserted (NATS does not tell a
 * responder who asked: docs/security.md), the time and what it did
 * (`detail`). `run_id` is the run it acted on, null for a dead letter or a
 * lease with no run; no foreign key, so a record outlives nothing it points
 * to and never blocks a write of operation_runs. Only the ledger writes it.
 *
 * `operation_runs.job_stream_seq`: the OPS_JOBS sequence of the run's last
 * stored job, recorded after the publish (null: unknown) — a cancel of a
 * queued run deletes that message.
 */
export class Migration007OperatorActions extends Migration {
  override name = '007-operator-actions';

  override up(): void {
    this.addSql('ALTER TABLE operation_runs ADD COLUMN job_stream_seq bigint NULL');
    this.addSql(`
      CREATE TABLE run_actions (
        id uuid PRIMARY KEY,
        workspace_id uuid NULL,
        run_id uuid NULL,
        action text NOT NULL CHECK (action IN ('cancel', 'rerun', 'dlq_redrive', 'dlq_purge', 'lock_release')),
        actor text NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
        reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
        at timestamptz NOT NULL,
        detail jsonb NOT NULL DEFAULT '{}'::jsonb
      )`);
    this.addSql('CREATE INDEX run_actions_run ON run_actions (run_id, at) WHERE run_id IS NOT NULL');
    this.addSql('CREATE INDEX run_actions_at ON run_actions (at)');
    this.addSql('REVOKE ALL ON run_actions FROM PUBLIC');
    this.addSql(`GRANT SELECT, INSERT ON run_actions TO ${DB_ROLES.ledger}`);
  }
}
