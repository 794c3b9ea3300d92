import { Migration } from '@mikro-orm/migrations';

/**
 * The schema of the seed data model plus what the distributed design needs:
 * attempt / event_seq (final attempt wins, FR-003), dedupe_hits, the last
 * applied stream sequence, CHECKs, FKs and both partial unique indexes that
 * make dispatch-time dedupe a database guarantee (FR-004).
 */
export class Migration001Initial extends Migration {
  override name = '001-initial';

  override up(): void {
    this.addSql(`
      CREATE TABLE workspaces (
        id uuid PRIMARY KEY,
        slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    this.addSql(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE RESTRICT,
        external_id uuid NOT NULL,
        slug text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT tenants_external_id_per_workspace UNIQUE (workspace_id, external_id),
        CONSTRAINT tenants_slug_per_workspace UNIQUE (workspace_id, slug),
        -- target of composite FKs: a row can only name a tenant of its own workspace
        CONSTRAINT tenants_workspace_id_id UNIQUE (workspace_id, id)
      )`);
    this.addSql(`
      CREATE TABLE policies (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE RESTRICT,
        tenant_id uuid NOT NULL,
        external_id text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 200),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        policy_type text NOT NULL DEFAULT 'deviceConfiguration',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT policies_tenant_fk FOREIGN KEY (workspace_id, tenant_id)
          REFERENCES tenants(workspace_id, id) ON DELETE RESTRICT,
        CONSTRAINT policies_external_id_per_tenant UNIQUE (tenant_id, external_id)
      )`);
    this.addSql(`
      CREATE TABLE operation_runs (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE RESTRICT,
        tenant_id uuid NULL,
        user_id uuid NULL,
        initiator_name text NOT NULL CHECK (length(initiator_name) BETWEEN 1 AND 200),
        type text NOT NULL CHECK (type ~ '^[a-z0-9_]+(\\.[a-z0-9_]+)+$'),
        status text NOT NULL DEFAULT 'queued'
          CONSTRAINT operation_runs_status_check CHECK (status IN ('queued', 'running', 'completed')),
        outcome text NOT NULL DEFAULT 'pending'
          CONSTRAINT operation_runs_outcome_check
          CHECK (outcome IN ('pending', 'succeeded', 'partially_succeeded', 'failed', 'cancelled')),
        run_identity_hash text NOT NULL CHECK (run_identity_hash ~ '^[0-9a-f]{64}$'),
        summary_counts jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(summary_counts) = 'object'),
        failure_summary jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(failure_summary) = 'array'),
        context jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(context) = 'object'),
        attempt integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
        event_seq integer NOT NULL DEFAULT -1 CHECK (event_seq >= -1),
        dedupe_hits integer NOT NULL DEFAULT 0 CHECK (dedupe_hits >= 0),
        last_event_stream_seq bigint NULL,
        last_event_at timestamptz NULL,
        started_at timestamptz NULL,
        completed_at timestamptz NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT operation_runs_tenant_fk FOREIGN KEY (workspace_id, tenant_id)
          REFERENCES tenants(workspace_id, id) ON DELETE RESTRICT,
        -- completed <=> a terminal outcome, and only then a completion time
        CONSTRAINT operation_runs_outcome_matches_status
          CHECK ((status = 'completed') = (outcome <> 'pending')),
        CONSTRAINT operation_runs_completed_at_matches_status
          CHECK ((status = 'completed') = (completed_at IS NOT NULL))
      )`);
    // dispatch-time dedupe: one active run per identity
    this.addSql(`
      CREATE UNIQUE INDEX operation_runs_active_tenant_identity
        ON operation_runs (tenant_id, run_identity_hash)
        WHERE status IN ('queued', 'running')`);
    this.addSql(`
      CREATE UNIQUE INDEX operation_runs_active_workspace_identity
        ON operation_runs (workspace_id, run_identity_hash)
        WHERE tenant_id IS NULL AND status IN ('queued', 'running')`);
    // cooldown look-ups: the latest completion of an identity
    this.addSql(`
      CREATE INDEX operation_runs_identity_completed
        ON operation_runs (workspace_id, run_identity_hash, completed_at DESC)
        WHERE status = 'completed'`);
    // list_runs: newest first, keyset pagination
    this.addSql(`CREATE INDEX operation_runs_workspace_created ON operation_runs (workspace_id, created_at DESC, id DESC)`);
    // housekeeping: active runs by age
    this.addSql(`
      CREATE INDEX operation_runs_active_by_age
        ON operation_runs (workspace_id, status, created_at)
        WHERE status IN ('queued', 'running')`);
  }
}
