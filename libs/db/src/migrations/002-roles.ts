import { Migration } from '@mikro-orm/migrations';
import { DB_ROLES } from '../roles.ts';

/**
 * One role per service with least-privilege grants (docs/requirements.md, write path: only the
 * ledger may write operation_runs — proven by the database, not only by
 * code review). Roles are cluster-wide, so creation tolerates an existing
 * role (several databases, parallel test databases). Passwords are set by
 * the operator (`ALTER ROLE … PASSWORD`), never by a migration.
 */
export class Migration002Roles extends Migration {
  override name = '002-roles';

  override up(): void {
    for (const role of Object.values(DB_ROLES)) {
      this.addSql(`
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN
            CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
          END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$`);
    }
    const all = Object.values(DB_ROLES).join(', ');
    this.addSql(`DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO ${all}', current_database()); END $$`);
    this.addSql(`GRANT USAGE ON SCHEMA public TO ${all}`);
    this.addSql('REVOKE ALL ON workspaces, tenants, policies, operation_runs FROM PUBLIC');
    // ledger: the only writer of operation_runs; reads the tenancy tables to validate requests
    this.addSql(`GRANT SELECT, INSERT, UPDATE ON operation_runs TO ${DB_ROLES.ledger}`);
    this.addSql(`GRANT SELECT ON workspaces, tenants, policies TO ${DB_ROLES.ledger}`);
    // worker: resolves a tenant's policies; everything about runs goes through the ledger API
    this.addSql(`GRANT SELECT ON workspaces, tenants, policies TO ${DB_ROLES.worker}`);
    // opsctl: reads the tenancy tables (tenants list); runs come from the ledger API
    this.addSql(`GRANT SELECT ON workspaces, tenants, policies TO ${DB_ROLES.cli}`);
    // housekeeping: no table grants at all — it talks to the ledger over NATS only
  }
}
