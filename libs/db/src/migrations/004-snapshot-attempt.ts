import { Migration } from '@mikro-orm/migrations';

/**
 * The attempt that wrote a snapshot row (issue #14, fencing): a zombie
 * attempt — cut off or frozen while its lease was taken over — whose write
 * lands late must not replace the newer attempt's row. The worker's upsert
 * updates only `WHERE attempt <= excluded.attempt`. Existing rows count as
 * attempt 1 (any later attempt may replace them, as before).
 */
export class Migration004SnapshotAttempt extends Migration {
  override name = '004-snapshot-attempt';

  override up(): void {
    this.addSql('ALTER TABLE assignment_snapshots ADD COLUMN attempt integer NOT NULL DEFAULT 1 CHECK (attempt >= 1)');
  }
}
