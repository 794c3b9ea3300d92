import { Migration } from '@mikro-orm/migrations';

/**
 * Whether a completed run was closed by a heal (housekeeping's `run.stale` /
 * `run.lost` closure) rather than by its executor (issue #15): a real
 * completion, applied later, replaces a heal — never the reverse. Existing
 * rows count as real completions.
 */
export class Migration005ClosedByHeal extends Migration {
  override name = '005-closed-by-heal';

  override up(): void {
    this.addSql('ALTER TABLE operation_runs ADD COLUMN closed_by_heal boolean NOT NULL DEFAULT false');
  }
}
