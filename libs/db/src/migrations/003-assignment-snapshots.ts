import { Migration } from '@mikro-orm/migrations';
import { DB_ROLES } from '../roles.ts';

/**
 * What an assignments.fetch read from Graph, per policy: the worker's own
 * table (never operation_runs). A retried attempt of the same run rewrites
 * its row (unique per run and policy); restore reads the newest per policy.
 */
export class Migration003AssignmentSnapshots extends Migration {
  override name = '003-assignment-snapshots';

  override up(): void {
    this.addSql(`
      CREATE TABLE assignment_snapshots (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE RESTRICT,
        tenant_id uuid NOT NULL,
        policy_id uuid NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
        run_id uuid NOT NULL,
        assignments jsonb NOT NULL CHECK (jsonb_typeof(assignments) = 'array'),
        assignment_count integer NOT NULL CHECK (assignment_count >= 0),
        fetched_at timestamptz NOT NULL,
        CONSTRAINT assignment_snapshots_tenant_fk FOREIGN KEY (workspace_id, tenant_id)
          REFERENCES tenants(workspace_id, id) ON DELETE RESTRICT,
        CONSTRAINT assignment_snapshots_run_policy UNIQUE (run_id, policy_id)
      )`);
    this.addSql('CREATE INDEX assignment_snapshots_latest ON assignment_snapshots (policy_id, fetched_at DESC)');
    this.addSql('REVOKE ALL ON assignment_snapshots FROM PUBLIC');
    this.addSql(`GRANT SELECT, INSERT, UPDATE ON assignment_snapshots TO ${DB_ROLES.worker}`);
  }
}
