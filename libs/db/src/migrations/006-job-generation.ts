import { Migration } from '@mikro-orm/migrations';

/**
 * The ledger publishes the jobs (issue #18): `job_generation` counts the
 * job messages it published for a run — 1 once the original is stored (set
 * with the row, reset to 0 if that publish failed), +1 for every re-publish
 * (housekeeping's `republish_job`). Workers skip `get_run` for a first
 * delivery of generation 1. Existing rows: 0 (unknown).
 *
 * The active-identity index on the hash alone serves the multi-row
 * ensure_run, which matches a batch of identities of any scope at once.
 */
export class Migration006JobGeneration extends Migration {
  override name = '006-job-generation';

  override up(): void {
    this.addSql('ALTER TABLE operation_runs ADD COLUMN job_generation integer NOT NULL DEFAULT 0 CHECK (job_generation >= 0)');
    this.addSql(`
      CREATE INDEX operation_runs_active_identity_hash
        ON operation_runs (run_identity_hash)
        WHERE status IN ('queued', 'running')`);
  }
}
